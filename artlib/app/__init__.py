"""``artlib-app``: a Streamlit explorer over what the notebooks trained (classify, similar, search, map, suspects).

    artlib-app                                  # the fixture run's outputs/
    ARTLIB_OUTPUTS=outputs/wikiart artlib-app   # a real run
    artlib-app --outputs outputs/wikiart --port 8502

It serves on 127.0.0.1 only, with a JSON API beside the pages (:mod:`artlib.app.api`: ``/api/similar``). The
logic lives in :class:`artlib.app.explorer.Explorer`, usable without Streamlit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("streamlit_app.py")  # the pages
LAUNCHER = Path(__file__).with_name("launcher.py")  # what `streamlit run` serves: the pages and the JSON API


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="artlib-app", description="Explore a run's models and indexes in the browser."
    )
    parser.add_argument(
        "--outputs", type=Path, default=None, help="outputs folder (default ARTLIB_OUTPUTS or outputs/)"
    )
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1", help="address to serve on (default: this machine only)")
    args, streamlit_args = parser.parse_known_args(argv)
    if args.outputs is not None and not args.outputs.is_dir():  # a typo would serve empty pages
        parser.error(f"no outputs folder {args.outputs} (the folder the notebooks wrote; see ARTLIB_OUTPUTS)")
    if args.outputs is not None:
        os.environ["ARTLIB_OUTPUTS"] = str(args.outputs.resolve())
    try:
        from streamlit.web import cli as stcli
    except ImportError:
        sys.exit("artlib-app needs Streamlit: pip install -e '.[app]'")
    sys.argv = [
        "streamlit",
        "run",
        str(LAUNCHER),
        "--server.address",
        args.address,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        *streamlit_args,
    ]
    sys.exit(stcli.main())


if __name__ == "__main__":
    main()
