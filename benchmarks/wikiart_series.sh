#!/usr/bin/env bash
# The whole notebook series on the real WikiArt sample (../shared, 7,509 paintings) with the `cpu` profile,
# on its official split (ArtGAN train: training + validation; ArtGAN val: test). Executed notebooks land in
# outputs/wikiart_sample/; the headline results with their 95 % intervals and the data each notebook used are
# copied to outputs/results/wikiart_sample/ (committed); wall_times.csv there keeps the latest measurement of
# every notebook (a run with --only updates the notebooks it ran, with the date).
#   bash benchmarks/wikiart_series.sh            # or with run_notebooks options: --only 08 11 --html
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
export ARTLIB_DATASET=wikiart ARTLIB_DATA="$shared/data/wikiart_sample" ARTLIB_META="$shared/metadata/wikiart_artgan"
export ARTLIB_PROFILE=${ARTLIB_PROFILE:-cpu} ARTLIB_OUTPUTS=${ARTLIB_OUTPUTS:-outputs/wikiart_sample}
export HF_HUB_OFFLINE=1 MPLBACKEND=Agg
python -m artlib.runner "$@"
status=$?
dest=outputs/results/wikiart_sample
mkdir -p "$dest"
cp "$ARTLIB_OUTPUTS"/results/*.json "$ARTLIB_OUTPUTS"/results/summary.md "$dest"/
python benchmarks/merge_wall_times.py "$ARTLIB_OUTPUTS/notebooks/summary.csv" "$dest/wall_times.csv"
echo "results: $dest/summary.md"
exit $status
