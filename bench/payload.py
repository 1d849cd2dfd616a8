"""Benchmark payloads: JSON-like event lines of exactly RECORD_SIZE bytes, partly compressible.

Each line looks like an application event (ids, timestamps, enums, a user agent, a list of
items, free text from a small vocabulary) plus a random base64 blob, so it compresses the way
real JSON traffic does: field names and vocabulary repeat, ids and the blob do not. With 20,000
distinct lines chosen at random per record (ProducerPerformance --payload-file), a batch almost
never holds the same line twice, so compressors cannot cheat on whole-record repeats.

    python3 bench/payload.py OUT [LINES] [RECORD_SIZE]
"""

import base64
import json
import random
import sys

WORDS = (
    "order shipped delivered pending refund cart checkout payment card wallet basket premium "
    "customer account session mobile desktop tablet search filter category product review "
    "rating discount coupon voucher warehouse stock inventory return exchange invoice "
    "subscription renewal trial upgrade downgrade cancel notification email push sms"
).split()
ACTIONS = ["page_view", "add_to_cart", "remove_from_cart", "checkout", "purchase", "search",
           "login", "logout", "signup", "review"]
COUNTRIES = ["DE", "FR", "NL", "US", "GB", "ES", "IT", "PL", "SE", "JP", "BR", "IN"]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
]


def line(rng, size):
    items = [
        {"sku": f"SKU-{rng.randrange(10**6):06d}", "qty": rng.randint(1, 5),
         "price_cents": rng.randrange(99, 99999), "category": rng.choice(WORDS)}
        for _ in range(rng.randint(1, 3))
    ]
    event = {
        "event_id": "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                   rng.getrandbits(16), rng.getrandbits(16),
                                                   rng.getrandbits(48)),
        "ts": "2025-%02d-%02dT%02d:%02d:%02d.%03dZ" % (rng.randint(1, 12), rng.randint(1, 28),
                                                      rng.randrange(24), rng.randrange(60),
                                                      rng.randrange(60), rng.randrange(1000)),
        "action": rng.choice(ACTIONS),
        "user": {"id": rng.randrange(10**7), "country": rng.choice(COUNTRIES),
                 "tier": rng.choice(["free", "plus", "pro"])},
        "session": "%016x" % rng.getrandbits(64),
        "ua": rng.choice(AGENTS),
        "url": "/" + "/".join(rng.choice(WORDS) for _ in range(3)) + f"?page={rng.randint(1, 50)}",
        "items": items,
        "note": " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 25))),
    }
    head = json.dumps(event, separators=(",", ":"))[:-1] + ',"blob":"'
    room = size - len(head) - 2
    if room < 0:
        return head[: size - 2] + '"}'
    blob = base64.b64encode(rng.randbytes(room)).decode()[:room]
    return head + blob + '"}'


def main():
    out = sys.argv[1]
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    rng = random.Random(20250101)
    with open(out, "w") as f:
        for _ in range(lines):
            text = line(rng, size)
            assert len(text.encode()) == size and "\n" not in text
            f.write(text + "\n")


if __name__ == "__main__":
    main()
