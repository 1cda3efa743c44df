#!/usr/bin/env python3
"""Grid search of the margin model's stress parameters with `keeper backtest --json`.

Prints, for every combination, the pooled breach rate and Kupiec p-value of each book family and the
margin saving of hedged pairs against the static baseline. Usage:
    cargo build --release -p keeper && python3 scripts/calibrate.py [extra keeper flags]
"""
import itertools, json, subprocess, sys

ASSETS = "BTC,ETH,SOL,BNB,XRP,DOGE,ADA,LINK"
GRID = {
    "--stress-vol-mult": [1.2, 1.25, 1.3, 1.35],
    "--breakdown-beta": [0.05, 0.1, 0.15, 0.2],
    "--joint-move": [2.4, 2.6, 2.8],
    "--spike-alpha": [0.0, 0.25],
}

def run(flags):
    cmd = ["./target/release/keeper", "backtest", "--assets", ASSETS, "--start", "2018-01-01", "--json",
           "--random-books", "32"] + flags + sys.argv[1:]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

rows = []
for combo in itertools.product(*GRID.values()):
    flags = [x for kv in zip(GRID.keys(), map(str, combo)) for x in kv]
    r = run(flags)
    fam = {f["family"]: f for f in r["families"]}
    ok = all(fam[k]["model"]["kupiec_p_value"] >= 0.05 for k in ("single", "pair"))
    rows.append((ok, fam["hedged_pair"]["margin_saving_pct"], combo, fam))

rows.sort(key=lambda r: (not r[0], -r[1]))
print("ok  m     beta  c    alpha | single rate p | pair rate p | hedged rate saving | random rate p")
for ok, saving, combo, fam in rows[:25]:
    s, p, h, q = fam["single"]["model"], fam["pair"]["model"], fam["hedged_pair"]["model"], fam["random"]["model"]
    print(f"{'Y' if ok else 'n'}  {combo[0]:<5} {combo[1]:<5} {combo[2]:<4} {combo[3]:<5} | "
          f"{100*s['breach_rate']:.3f} {s['kupiec_p_value']:.3f} | {100*p['breach_rate']:.3f} {p['kupiec_p_value']:.3f} | "
          f"{100*h['breach_rate']:.3f} {saving:.1f} | {100*q['breach_rate']:.3f} {q['kupiec_p_value']:.3f}")
