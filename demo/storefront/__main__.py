"""python -m demo.storefront --api http://127.0.0.1:8000 --key pk_... --port 8001"""

from __future__ import annotations

import argparse
import signal
import threading

from demo.storefront.server import Storefront, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", required=True, help="the API's origin, e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="the demo site's publishable key")
    parser.add_argument("--product", default="DEMO-TENT", help="SKU the product page links to")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    server = serve(Storefront(args.api, args.key, args.product), args.host, args.port)
    print(f"storefront ready on http://{args.host}:{args.port}/", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
