"""`python -m demosite serve|truth`: run the demo document library, or print its truth."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from demosite.server import DemoServer
from demosite.site import DemoSite


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demosite", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the site until SIGTERM or SIGINT")
    truth = commands.add_parser("truth", help="print the ground truth as JSON")
    for command in (serve, truth):
        command.add_argument("--pages", type=int, default=200, help="document pages (default 200)")
        command.add_argument("--seed", type=int, default=7, help="generation seed (default 7)")
        command.add_argument("--night", type=int, default=1, choices=(1, 2), help="1 or 2")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument("--log", metavar="FILE.jsonl", help="append every request as JSON")
    serve.add_argument("--warm", action="store_true", help="render every page before serving")
    truth.add_argument("--no-bodies", action="store_true", help="leave texts out, keep hashes")
    return parser


def serve(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = DemoServer(args.pages, args.seed, args.night, args.host, args.port, args.log)
    if args.warm:
        server.site.prerender(server.url)
    with server:
        print(server.url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


def truth(args: argparse.Namespace) -> int:
    site = DemoSite.build(args.pages, args.seed, args.night)
    json.dump(site.truth(bodies=not args.no_bodies), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return serve(args) if args.command == "serve" else truth(args)
    except ValueError as exc:
        print(f"demosite: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
