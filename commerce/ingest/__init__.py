"""Reading orders and products from shops' files and payloads: pure Python, no Django.

Every parser here turns outside input into the records of `records.py` or
raises `InvalidField` naming the field, so imports can report a failed row
with its reason and webhooks a 400 problem with the field's path.
"""
