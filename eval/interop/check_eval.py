"""Interop check: our ground-truth comparison against SpikeInterface's.

Optional, not part of CI. Usage:
    d=$(mktemp -d) && SPIKESTREAM_INTEROP_DIR=$d go test ./eval -run InteropEval -count=1
    python eval/interop/check_eval.py $d
Needs: pip install spikeinterface pandas numba

With SPIKESTREAM_INTEROP_DENSE=1 the fixture has bursts with spikes closer than 2 x delta.
SpikeInterface's match count then can exceed a one-to-one matching (it only remembers each
pair's last match, so a spike between two partners can be counted twice); spikestream
counts a maximum one-to-one matching. Pass --dense to check ours <= theirs instead of
equality.
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import spikeinterface.core as sc
import spikeinterface.comparison as scmp


def main():
    d = Path(sys.argv[1])
    dense = "--dense" in sys.argv[2:]
    gt = sc.read_npz_sorting(d / "truth" / "truth.npz")
    # spikestream drops label 0 (unassigned) by default; SpikeInterface sees the same units.
    tested = sc.read_npz_sorting(d / "sorted_without_0.npz")
    cmp = scmp.compare_sorter_to_ground_truth(
        gt, tested, delta_time=0.4, match_score=0.5, exhaustive_gt=True)
    perf = cmp.get_performance(method="by_unit")
    ours = pd.read_csv(d / "expected_perf.tsv", sep="\t", na_values=["-"])
    ours = ours.set_index("true_id")

    worst = 0.0
    for col in ["accuracy", "recall", "precision"]:
        theirs = perf[col].astype(float).fillna(0.0)
        for uid, v in theirs.items():
            diff = abs(v - ours.loc[int(uid), col])
            worst = max(worst, diff)
            if diff > 1e-9 and not dense:
                print(f"unit {uid} {col}: spikeinterface {v:.4f}, spikestream "
                      f"{ours.loc[int(uid), col]:.4f}")
    agree = pd.read_csv(d / "expected_agreement.tsv", sep="\t", index_col=0)
    theirs = cmp.agreement_scores
    above = 0
    for u1 in theirs.index:
        for u2 in theirs.columns:
            signed = agree.at[int(u1), str(u2)] - float(theirs.at[u1, u2])
            above = max(above, signed)
            diff = abs(signed)
            worst = max(worst, diff)
            if diff > 1e-9 and not dense:
                print(f"agreement {u1},{u2}: spikeinterface {theirs.at[u1, u2]:.6f}, "
                      f"spikestream {agree.at[int(u1), str(u2)]:.6f}")
    print(f"agreement matrices compared: {theirs.shape}")
    match = cmp.hungarian_match_12
    n_si = int((match.values != -1).sum())
    n_ours = int(ours["sorted_id"].notna().sum())
    print(f"paired units: spikeinterface {n_si}, spikestream {n_ours}")
    for uid, sid in match.items():
        o = ours.loc[int(uid), "sorted_id"]
        o = -1 if pd.isna(o) else int(o)
        if int(sid) != o:
            print(f"unit {uid}: spikeinterface pairs {sid}, spikestream {o}")
    print(f"largest difference: {worst:.2e}; largest excess of ours: {above:.2e}")
    ok = (above <= 1e-9 if dense else worst <= 1e-9) and n_si == n_ours
    print("OK" if ok else "MISMATCH")


if __name__ == "__main__":
    main()
