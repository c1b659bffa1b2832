"""Interop check: open spikestream's npz and phy outputs with SpikeInterface.

Optional, not part of CI. Usage:
    d=$(mktemp -d) && SPIKESTREAM_INTEROP_DIR=$d go test ./sorting -run Interop -count=1
    python eval/interop/check_sorting.py $d
Needs: pip install spikeinterface pandas
"""
import sys
from pathlib import Path

import numpy as np
import spikeinterface.core as sc
import spikeinterface.extractors as se


def expected(folder):
    rows = np.loadtxt(folder / "expected.tsv", dtype=np.int64, ndmin=2)
    return rows[:, 0], rows[:, 1]


def same_trains(sorting, times, labels, name):
    ids = sorted(int(u) for u in sorting.get_unit_ids())
    want_ids = sorted(set(labels.tolist()))
    assert ids == want_ids, f"{name}: unit ids {ids} != {want_ids}"
    for u in ids:
        got = sorting.get_unit_spike_train(u)
        want = times[labels == u]
        assert np.array_equal(np.sort(got), np.sort(want)), f"{name}: unit {u} differs"
    print(f"{name}: {len(ids)} units, {len(times)} spikes, identical")


def main():
    folder = Path(sys.argv[1])
    times, labels = expected(folder)

    npz = sc.read_npz_sorting(folder / "sorting.npz")
    assert npz.get_sampling_frequency() == 30000.0
    same_trains(npz, times, labels, "read_npz_sorting")

    phy = se.read_phy(folder / "phy")
    assert phy.get_sampling_frequency() == 30000.0
    same_trains(phy, times, labels, "read_phy")
    quality = dict(zip(phy.get_unit_ids(), phy.get_property("quality")))
    assert quality[0] == "noise", quality
    templates = np.load(folder / "phy" / "templates.npy")
    positions = np.load(folder / "phy" / "channel_positions.npy")
    print("templates", templates.shape, templates.dtype, "positions", positions.shape)
    check_phylib(folder / "phy", times, labels)
    print("OK")


def check_phylib(phy_folder, times, labels):
    """Open the phy folder with phy's own model loader, when phylib is installed."""
    try:
        from phylib.io.model import load_model
    except ImportError:
        print("phylib not installed: skipping phy's TemplateModel check")
        return
    model = load_model(phy_folder / "params.py")
    assert np.array_equal(model.spike_samples, times)
    assert np.array_equal(model.spike_clusters, labels)
    assert model.n_templates == len(set(labels.tolist()))
    print(f"phylib TemplateModel: {model.n_spikes} spikes, {model.n_templates} templates, "
          f"{model.n_channels} channels, sample rate {model.sample_rate}")
    model.close()


if __name__ == "__main__":
    main()
