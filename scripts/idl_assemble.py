#!/usr/bin/env python3
"""Assembles the pieces Anchor's `__anchor_private_print_idl*` tests print into one IDL JSON, as the
anchor CLI does: address, program (instructions, accounts, types), errors, events and their types;
full module paths become short names where unambiguous. Fails loudly on anything missing."""
import json, re, sys

raw, out = sys.argv[1], sys.argv[2]
text = open(raw).read()
blocks = re.findall(r"--- IDL begin (\w+) ---\n(.*?)\n--- IDL end \1 ---", text, re.S)
kinds = [k for k, _ in blocks]
for need in ("address", "program"):
    if need not in kinds:
        sys.exit(f"idl: no `{need}` block in the test output")

idl = None
address, errors, events, types = None, [], [], {}
for kind, body in blocks:
    data = json.loads(body)
    if kind == "address":
        address = data
    elif kind == "program":
        idl = data
        for t in data.get("types", []):
            types[t["name"]] = t
    elif kind == "errors":
        errors = data
    elif kind == "event":
        events.append(data["event"])
        for t in data.get("types", []):
            types[t["name"]] = t
    elif kind == "constant":
        idl.setdefault("constants", []).append(data)

idl["address"] = address
if events:
    idl["events"] = sorted(events, key=lambda e: e["name"])
if errors:
    idl["errors"] = errors
idl["types"] = sorted(types.values(), key=lambda t: t["name"])

# Short names where the last path segment is unique.
full = {t["name"] for t in idl["types"]} | {e["name"] for e in idl.get("events", [])} | {a["name"] for a in idl.get("accounts", [])}
short = {}
for name in full:
    last = name.split("::")[-1]
    if sum(1 for n in full if n.split("::")[-1] == last) == 1:
        short[name] = last

def rename(node):
    if isinstance(node, dict):
        return {k: (short.get(v, v) if k == "name" and isinstance(v, str) else rename(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [rename(x) for x in node]
    return node

idl = rename(idl)
with open(out, "w") as f:
    json.dump(idl, f, indent=2)
    f.write("\n")
print(f"idl: wrote {out}: {len(idl['instructions'])} instructions, {len(idl.get('accounts', []))} accounts, "
      f"{len(idl.get('events', []))} events, {len(idl.get('errors', []))} errors, {len(idl['types'])} types")
