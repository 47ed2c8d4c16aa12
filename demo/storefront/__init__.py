"""The demo storefront: plain HTML pages that embed the gallery widget, served from
another port than the API so that the browser's CORS rules apply as on a real shop.

Not Django on purpose: a storefront is someone else's site, which knows only the
widget's script URL and a publishable key.
"""
