"""Any JSON at all gives an order or an InvalidField naming a field, never another error."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.ingest import order_csv, payloads
from commerce.ingest.records import InvalidField, OrderRecord, RefundRecord
from core.csvio import CsvError, open_table
from tests.commerce.csvs import ORDER_COLUMNS as ORDER_CSV_COLUMNS
from tests.commerce.csvs import to_csv
from tests.commerce.factories import LineItemPayload, OrderPayload, RefundPayload

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
ORDER_KEYS = [*OrderPayload(), "refunds"]
LINE_KEYS = list(LineItemPayload())


@st.composite
def mangled_orders(draw):
    """A valid Shopify order with some fields (of the order or a line) replaced by anything."""
    order = OrderPayload()
    for key in draw(st.lists(st.sampled_from(ORDER_KEYS), max_size=3)):
        order[key] = draw(json_values)
    if isinstance(order.get("line_items"), list) and order["line_items"]:
        line = order["line_items"][0]
        if isinstance(line, dict):
            for key in draw(st.lists(st.sampled_from(LINE_KEYS), max_size=3)):
                line[key] = draw(json_values)
    return order


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_orders())
def test_shopify_order_parser_never_fails_unexpectedly(payload):
    try:
        assert isinstance(payloads.shopify_order(payload), OrderRecord)
    except InvalidField as exc:
        assert exc.message


@settings(max_examples=120, deadline=None)
@given(json_values)
def test_any_json_is_an_order_or_a_named_error(payload):
    for parse in (payloads.shopify_order, payloads.generic_order, payloads.shopify_refund):
        try:
            assert isinstance(parse(payload), OrderRecord | RefundRecord)
        except InvalidField as exc:
            assert exc.message


def test_refund_parser_example():
    refund = payloads.shopify_refund(RefundPayload(order_id=42))
    assert refund.shop_order_id == "42" and str(refund.amount) == "41.94"


def test_a_line_item_that_is_not_an_object_is_named():
    payload = {**OrderPayload(), "line_items": [1]}
    try:
        payloads.shopify_order(payload)
    except InvalidField as exc:
        assert exc.field == "line_items.0"
    else:
        raise AssertionError("accepted")


def test_out_of_range_amounts_and_years_are_named():
    huge = LineItemPayload(quantity=1000, price="99999999999.000")
    big = {**OrderPayload(), "line_items": [huge]}
    for payload, field in (
        (big, "line_items.0.price"),
        ({**OrderPayload(), "created_at": "9999-12-31T23:59:59-05:00"}, "created_at"),
    ):
        try:
            payloads.shopify_order(payload)
        except InvalidField as exc:
            assert exc.field == field
        else:
            raise AssertionError(field)


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({c: cells for c in ORDER_CSV_COLUMNS}), max_size=4))
def test_order_csv_rows_of_anything_are_orders_or_failed_rows(rows):
    try:
        parsed = order_csv.parse(open_table(to_csv(ORDER_CSV_COLUMNS, rows)))
    except CsvError as exc:  # the file as a whole (NUL bytes, say): a message, not a crash
        assert str(exc)
        return
    for failure in parsed.failures:
        assert failure.row >= 2 and failure.reason
