"""Fill empty Czech msgstrs from a JSON dictionary (developer helper): i18n_fill.py FILE.json"""

import json
import sys

from babel.messages.pofile import read_po, write_po

PO = "kbdesk/translations/cs/LC_MESSAGES/messages.po"

with open(sys.argv[1], encoding="utf-8") as f:
    words = json.load(f)
with open(PO, "rb") as f:
    catalog = read_po(f)
missing = []
for msg in catalog:
    if not msg.id:
        continue
    key = msg.id if isinstance(msg.id, str) else msg.id[0]
    if key in words:
        msg.string = words[key]
        msg.flags.discard("fuzzy")
    elif not msg.string:
        missing.append(key)
with open(PO, "wb") as f:
    write_po(f, catalog, width=100)
print(f"missing {len(missing)}:", *missing, sep="\n  ")
