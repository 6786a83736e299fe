"""An SMTP server for the tests that refuses on purpose: the first attempt for each address
gets 451 (try again later), han.lei@ gets 550 (no such user), everything else is accepted and
written, one JSON line per message, to the file named on the command line."""
import json
import sys
import time

from aiosmtpd.controller import Controller


class Flaky:
    def __init__(self, out):
        self.out = out
        self.seen = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("han.lei@"):
            return "550 5.1.1 no such user"
        n = self.seen.get(address, 0)
        self.seen[address] = n + 1
        if n == 0:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"to": envelope.rcpt_tos}) + "\n")
        return "250 Message accepted for delivery"


controller = Controller(Flaky(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
while True:
    time.sleep(3600)
