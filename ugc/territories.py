"""Countries as a licence's territory and a storefront's market name them: ISO 3166-1
alpha-2 codes, upper case. One check for every place they are typed (the rights
action, the site's form, the admin)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# The officially assigned ISO 3166-1 alpha-2 codes.
ISO_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW
    AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG
    CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR
    HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA
    LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR
    PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
    VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 (a table reads better than 249 quoted strings)
)
MAX_COUNTRIES = len(ISO_COUNTRIES)


def country_codes(values: Iterable[str]) -> list[str]:
    """The codes upper-cased, deduplicated and sorted; ValidationError naming the ones
    that are no ISO 3166-1 alpha-2 country (an empty list: every country)."""
    codes = sorted({str(value).strip().upper() for value in values if str(value).strip()})
    unknown = [code for code in codes if code not in ISO_COUNTRIES]
    if unknown:
        shown = ", ".join(code[:10] for code in unknown[:10])
        raise ValidationError(
            gettext("ISO 3166-1 alpha-2 country codes, e.g. FR or US: not %(codes)s")
            % {"codes": shown},
            code="unknown_country",
        )
    return codes
