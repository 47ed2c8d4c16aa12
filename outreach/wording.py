"""The upload page's words in each shopper language (OUTREACH_LANGUAGES), and the
terms a shopper grants by ticking its box. Django's own messages (a required field,
a malformed address) come translated from Django's catalogues under the same
language (translation.override in the view)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation.trans_real import parse_accept_lang_header

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Share your photo",
        "heading_product": "Your photo of {product}",
        "verified": "Order {order} · verified buyer",
        "files": "Photos or short videos",
        "files_help": "Up to {count} files, {size} MB each.",
        "caption": "Caption",
        "name": "Your name or social handle",
        "email": "E-mail address",
        "optional": "optional",
        "product": "Product",
        "product_help": "Type to search the products.",
        "terms": "The terms",
        "agree": "I agree to these terms",
        "submit": "Send",
        "thanks": "Thank you!",
        "thanks_text": "Your photos will appear once our team has looked at them.",
        "accepted": "received",
        "refused": "not accepted",
        "duplicate": "we already have this file",
        "need_terms": "Please tick the box to accept the terms: without it we cannot use "
        "your photo.",
        "need_files": "Choose at least one photo or video.",
        "too_many": "At most {count} files at a time.",
        "need_email": "Please give your e-mail address.",
        "unknown_product": "We do not know this product; choose one from the list.",
        "rate_limited": "Too many uploads from here in the last hour. Please try again later.",
        "refused_form": "This form could not be accepted.",
        "foreign_origin": "Uploads are taken only from this page or the shop's own site.",
        "nothing_accepted": "None of your files could be accepted.",
        "choose_again": "Your text was kept; please choose your files again.",
        "not_saved": "Your photos could not be saved just now; nothing was kept. Please "
        "send them again in a moment.",
        "link_used": "This link was already used to send a photo. You can still share "
        "more photos on the shop's upload page.",
        "link_expired_heading": "Link expired",
        "link_expired": "This link has expired.",
        "link_invalid_heading": "Link not valid",
        "link_changed": "This link is not valid: it was changed or cut short.",
        "link_no_request": "This link is not valid: it names no request.",
        "unsubscribe_changed": "This unsubscribe link is not valid: it was changed or cut short.",
        "other_site": "This link belongs to another site.",
        "request_gone_heading": "Request not found",
        "request_gone": "This photo request no longer exists.",
        "shop_gone_heading": "Shop not found",
        "shop_gone": "There is no shop at this address.",
        "unsubscribe": "Unsubscribe",
        "stop_heading": "Stop photo requests?",
        "stop_text": "{brand} will not e-mail you to ask for photos again.",
        "unsubscribed_heading": "You are unsubscribed",
        "unsubscribed_text": "{brand} will not ask you for photos again.",
        "terms_text": "By sending, you confirm that you made these photos or videos and "
        "that the people in them agree. You allow {brand} to show them, with your name "
        "or handle, on its website and product pages and in its e-mails, worldwide and "
        "without payment, until you ask for them to be removed.",
    },
    "fr": {
        "title": "Partagez votre photo",
        "heading_product": "Votre photo de {product}",
        "verified": "Commande {order} · acheteur vérifié",
        "files": "Photos ou courtes vidéos",
        "files_help": "Jusqu'à {count} fichiers, {size} Mo chacun.",
        "caption": "Légende",
        "name": "Votre nom ou pseudo",
        "email": "Adresse e-mail",
        "optional": "facultatif",
        "product": "Produit",
        "product_help": "Tapez pour chercher un produit.",
        "terms": "Les conditions",
        "agree": "J'accepte ces conditions",
        "submit": "Envoyer",
        "thanks": "Merci !",
        "thanks_text": "Vos photos apparaîtront après vérification par notre équipe.",
        "accepted": "reçu",
        "refused": "refusé",
        "duplicate": "nous avons déjà ce fichier",
        "need_terms": "Cochez la case pour accepter les conditions : sans elle, nous ne "
        "pouvons pas utiliser votre photo.",
        "need_files": "Choisissez au moins une photo ou une vidéo.",
        "too_many": "Au plus {count} fichiers à la fois.",
        "need_email": "Indiquez votre adresse e-mail.",
        "unknown_product": "Ce produit nous est inconnu ; choisissez-en un dans la liste.",
        "rate_limited": "Trop d'envois depuis cette adresse dans l'heure. Réessayez plus tard.",
        "refused_form": "Ce formulaire n'a pas pu être accepté.",
        "foreign_origin": "Les envois ne sont acceptés que depuis cette page ou le site "
        "de la boutique.",
        "nothing_accepted": "Aucun de vos fichiers n'a pu être accepté.",
        "choose_again": "Votre texte est conservé ; choisissez à nouveau vos fichiers.",
        "not_saved": "Vos photos n'ont pas pu être enregistrées pour l'instant ; rien n'a "
        "été gardé. Merci de les renvoyer dans un instant.",
        "link_used": "Ce lien a déjà servi à envoyer une photo. Vous pouvez en partager "
        "d'autres sur la page d'envoi de la boutique.",
        "link_expired_heading": "Lien expiré",
        "link_expired": "Ce lien a expiré.",
        "link_invalid_heading": "Lien non valide",
        "link_changed": "Ce lien n'est pas valide : il a été modifié ou tronqué.",
        "link_no_request": "Ce lien n'est pas valide : il ne désigne aucune demande.",
        "unsubscribe_changed": "Ce lien de désinscription n'est pas valide : il a été "
        "modifié ou tronqué.",
        "other_site": "Ce lien appartient à un autre site.",
        "request_gone_heading": "Demande introuvable",
        "request_gone": "Cette demande de photo n'existe plus.",
        "shop_gone_heading": "Boutique introuvable",
        "shop_gone": "Il n'y a pas de boutique à cette adresse.",
        "unsubscribe": "Se désinscrire",
        "stop_heading": "Ne plus recevoir de demandes de photos\u00a0?",
        "stop_text": "{brand} ne vous écrira plus pour vous demander des photos.",
        "unsubscribed_heading": "Votre désinscription est faite",
        "unsubscribed_text": "{brand} ne vous demandera plus de photos.",
        "terms_text": "En envoyant, vous confirmez avoir réalisé ces photos ou vidéos et "
        "que les personnes visibles sont d'accord. Vous autorisez {brand} à les montrer, "
        "avec votre nom ou pseudo, sur son site, ses pages produits et dans ses e-mails, "
        "dans le monde entier et sans rémunération, jusqu'à ce que vous demandiez leur "
        "retrait.",
    },
    "de": {
        "title": "Teilen Sie Ihr Foto",
        "heading_product": "Ihr Foto von {product}",
        "verified": "Bestellung {order} · verifizierter Käufer",
        "files": "Fotos oder kurze Videos",
        "files_help": "Bis zu {count} Dateien, je {size} MB.",
        "caption": "Bildunterschrift",
        "name": "Ihr Name oder Social-Media-Name",
        "email": "E-Mail-Adresse",
        "optional": "optional",
        "product": "Produkt",
        "product_help": "Tippen, um Produkte zu suchen.",
        "terms": "Die Bedingungen",
        "agree": "Ich stimme diesen Bedingungen zu",
        "submit": "Senden",
        "thanks": "Vielen Dank!",
        "thanks_text": "Ihre Fotos erscheinen, sobald unser Team sie geprüft hat.",
        "accepted": "erhalten",
        "refused": "nicht angenommen",
        "duplicate": "diese Datei haben wir bereits",
        "need_terms": "Bitte kreuzen Sie das Kästchen an: ohne Zustimmung können wir Ihr "
        "Foto nicht verwenden.",
        "need_files": "Wählen Sie mindestens ein Foto oder Video.",
        "too_many": "Höchstens {count} Dateien auf einmal.",
        "need_email": "Bitte geben Sie Ihre E-Mail-Adresse an.",
        "unknown_product": "Dieses Produkt kennen wir nicht; wählen Sie eines aus der Liste.",
        "rate_limited": "Zu viele Uploads von hier in der letzten Stunde. Bitte später "
        "erneut versuchen.",
        "refused_form": "Dieses Formular konnte nicht angenommen werden.",
        "foreign_origin": "Uploads werden nur von dieser Seite oder der Website des Shops "
        "angenommen.",
        "nothing_accepted": "Keine Ihrer Dateien konnte angenommen werden.",
        "choose_again": "Ihr Text wurde behalten; bitte wählen Sie Ihre Dateien erneut.",
        "not_saved": "Ihre Fotos konnten gerade nicht gespeichert werden; nichts wurde "
        "behalten. Bitte senden Sie sie gleich noch einmal.",
        "link_used": "Mit diesem Link wurde bereits ein Foto gesendet. Weitere Fotos "
        "können Sie auf der Upload-Seite des Shops teilen.",
        "link_expired_heading": "Link abgelaufen",
        "link_expired": "Dieser Link ist abgelaufen.",
        "link_invalid_heading": "Link ungültig",
        "link_changed": "Dieser Link ist ungültig: Er wurde verändert oder gekürzt.",
        "link_no_request": "Dieser Link ist ungültig: Er nennt keine Anfrage.",
        "unsubscribe_changed": "Dieser Abmeldelink ist ungültig: Er wurde verändert oder gekürzt.",
        "other_site": "Dieser Link gehört zu einer anderen Website.",
        "request_gone_heading": "Anfrage nicht gefunden",
        "request_gone": "Diese Fotoanfrage besteht nicht mehr.",
        "shop_gone_heading": "Shop nicht gefunden",
        "shop_gone": "Unter dieser Adresse gibt es keinen Shop.",
        "unsubscribe": "Abmelden",
        "stop_heading": "Keine Fotoanfragen mehr?",
        "stop_text": "{brand} wird Sie nicht mehr per E-Mail um Fotos bitten.",
        "unsubscribed_heading": "Sie sind abgemeldet",
        "unsubscribed_text": "{brand} wird Sie nicht mehr um Fotos bitten.",
        "terms_text": "Mit dem Senden bestätigen Sie, dass Sie diese Fotos oder Videos "
        "gemacht haben und die abgebildeten Personen einverstanden sind. Sie erlauben "
        "{brand}, sie mit Ihrem Namen auf seiner Website, seinen Produktseiten und in "
        "seinen E-Mails zu zeigen, weltweit und unentgeltlich, bis Sie ihre Entfernung "
        "verlangen.",
    },
    "es": {
        "title": "Comparte tu foto",
        "heading_product": "Tu foto de {product}",
        "verified": "Pedido {order} · comprador verificado",
        "files": "Fotos o vídeos cortos",
        "files_help": "Hasta {count} archivos, {size} MB cada uno.",
        "caption": "Descripción",
        "name": "Tu nombre o usuario en redes",
        "email": "Correo electrónico",
        "optional": "opcional",
        "product": "Producto",
        "product_help": "Escribe para buscar un producto.",
        "terms": "Las condiciones",
        "agree": "Acepto estas condiciones",
        "submit": "Enviar",
        "thanks": "¡Gracias!",
        "thanks_text": "Tus fotos aparecerán cuando nuestro equipo las haya revisado.",
        "accepted": "recibido",
        "refused": "no aceptado",
        "duplicate": "ya tenemos este archivo",
        "need_terms": "Marca la casilla para aceptar las condiciones: sin ella no podemos "
        "usar tu foto.",
        "need_files": "Elige al menos una foto o un vídeo.",
        "too_many": "Como máximo {count} archivos a la vez.",
        "need_email": "Indica tu correo electrónico.",
        "unknown_product": "No conocemos este producto; elige uno de la lista.",
        "rate_limited": "Demasiados envíos desde aquí en la última hora. Inténtalo más tarde.",
        "refused_form": "No se pudo aceptar este formulario.",
        "foreign_origin": "Solo se aceptan envíos desde esta página o la web de la tienda.",
        "nothing_accepted": "No se pudo aceptar ninguno de tus archivos.",
        "choose_again": "Tu texto se ha conservado; vuelve a elegir tus archivos.",
        "not_saved": "No hemos podido guardar tus fotos ahora mismo; no se ha guardado "
        "nada. Vuelve a enviarlas en un momento.",
        "link_used": "Este enlace ya se usó para enviar una foto. Puedes compartir más "
        "en la página de envío de la tienda.",
        "link_expired_heading": "Enlace caducado",
        "link_expired": "Este enlace ha caducado.",
        "link_invalid_heading": "Enlace no válido",
        "link_changed": "Este enlace no es válido: se modificó o está cortado.",
        "link_no_request": "Este enlace no es válido: no corresponde a ninguna solicitud.",
        "unsubscribe_changed": "Este enlace para darse de baja no es válido: se modificó o "
        "está cortado.",
        "other_site": "Este enlace pertenece a otro sitio.",
        "request_gone_heading": "Solicitud no encontrada",
        "request_gone": "Esta solicitud de foto ya no existe.",
        "shop_gone_heading": "Tienda no encontrada",
        "shop_gone": "No hay ninguna tienda en esta dirección.",
        "unsubscribe": "Darse de baja",
        "stop_heading": "¿Dejar de recibir solicitudes de fotos?",
        "stop_text": "{brand} no volverá a escribirte para pedirte fotos.",
        "unsubscribed_heading": "Te has dado de baja",
        "unsubscribed_text": "{brand} no volverá a pedirte fotos.",
        "terms_text": "Al enviar, confirmas que hiciste estas fotos o vídeos y que las "
        "personas que aparecen están de acuerdo. Permites a {brand} mostrarlos, con tu "
        "nombre o usuario, en su web, sus páginas de producto y sus correos, en todo el "
        "mundo y sin pago, hasta que pidas que se retiren.",
    },
    "it": {
        "title": "Condividi la tua foto",
        "heading_product": "La tua foto di {product}",
        "verified": "Ordine {order} · acquirente verificato",
        "files": "Foto o brevi video",
        "files_help": "Fino a {count} file, {size} MB ciascuno.",
        "caption": "Didascalia",
        "name": "Il tuo nome o nome social",
        "email": "Indirizzo e-mail",
        "optional": "facoltativo",
        "product": "Prodotto",
        "product_help": "Scrivi per cercare un prodotto.",
        "terms": "Le condizioni",
        "agree": "Accetto queste condizioni",
        "submit": "Invia",
        "thanks": "Grazie!",
        "thanks_text": "Le tue foto appariranno dopo la verifica del nostro team.",
        "accepted": "ricevuto",
        "refused": "non accettato",
        "duplicate": "abbiamo già questo file",
        "need_terms": "Spunta la casella per accettare le condizioni: senza non possiamo "
        "usare la tua foto.",
        "need_files": "Scegli almeno una foto o un video.",
        "too_many": "Al massimo {count} file alla volta.",
        "need_email": "Indica il tuo indirizzo e-mail.",
        "unknown_product": "Non conosciamo questo prodotto; scegline uno dall'elenco.",
        "rate_limited": "Troppi invii da qui nell'ultima ora. Riprova più tardi.",
        "refused_form": "Questo modulo non è stato accettato.",
        "foreign_origin": "Gli invii sono accettati solo da questa pagina o dal sito del negozio.",
        "nothing_accepted": "Nessuno dei tuoi file è stato accettato.",
        "choose_again": "Il tuo testo è stato conservato; scegli di nuovo i file.",
        "not_saved": "Non è stato possibile salvare le tue foto in questo momento; non è "
        "stato tenuto nulla. Inviale di nuovo tra poco.",
        "link_used": "Questo link è già stato usato per inviare una foto. Puoi "
        "condividerne altre nella pagina di invio del negozio.",
        "link_expired_heading": "Link scaduto",
        "link_expired": "Questo link è scaduto.",
        "link_invalid_heading": "Link non valido",
        "link_changed": "Questo link non è valido: è stato modificato o troncato.",
        "link_no_request": "Questo link non è valido: non indica alcuna richiesta.",
        "unsubscribe_changed": "Questo link di disiscrizione non è valido: è stato "
        "modificato o troncato.",
        "other_site": "Questo link appartiene a un altro sito.",
        "request_gone_heading": "Richiesta non trovata",
        "request_gone": "Questa richiesta di foto non esiste più.",
        "shop_gone_heading": "Negozio non trovato",
        "shop_gone": "Non c'è nessun negozio a questo indirizzo.",
        "unsubscribe": "Annulla l'iscrizione",
        "stop_heading": "Non ricevere più richieste di foto?",
        "stop_text": "{brand} non ti scriverà più per chiederti delle foto.",
        "unsubscribed_heading": "Iscrizione annullata",
        "unsubscribed_text": "{brand} non ti chiederà più delle foto.",
        "terms_text": "Inviando, confermi di aver realizzato queste foto o video e che le "
        "persone ritratte sono d'accordo. Permetti a {brand} di mostrarli, con il tuo "
        "nome, sul suo sito, nelle pagine prodotto e nelle sue e-mail, in tutto il mondo "
        "e senza compenso, finché non ne chiedi la rimozione.",
    },
}


def shopper_language(accept_language: str, fallback: str = "") -> str:
    """The first of the browser's languages that the page speaks, else `fallback`
    (the site's), else the first of OUTREACH_LANGUAGES."""
    spoken = [code for code in settings.OUTREACH_LANGUAGES if code in WORDS] or ["en"]
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        base = code.split("-")[0].lower()
        if base in spoken:
            return base
    base = (fallback or "").split("-")[0].lower()
    return base if base in spoken else spoken[0]


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


def terms_text(language: str) -> str:
    """The terms shown in full and recorded (by hash) with each grant."""
    return settings.UPLOAD_TERMS_TEXT or words(language)["terms_text"].format(
        brand=settings.BRAND_NAME
    )
