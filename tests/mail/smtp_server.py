"""A real SMTP server for Settle's mail tests, on Debian's python3-aiosmtpd.

Run it with /usr/bin/python3 (Debian's interpreter, which has aiosmtpd). Each accepted
message is saved as MAILDIR/<n>.eml, the DATA bytes as received after the dot-unstuffing
that SMTP itself requires, and its envelope is appended to MAILDIR/log.jsonl. Once it
listens it prints "READY <port>" and serves until SIGTERM.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, maildir, reject_rcpt, tempfail):
        self.maildir = maildir
        self.reject_rcpt = reject_rcpt
        self.tempfail = tempfail  # DATA commands still to answer with 451
        self.received = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt and self.reject_rcpt in address:
            return "550 5.1.1 Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Try again later"
        self.received += 1
        name = f"{self.received}.eml"
        with open(os.path.join(self.maildir, name), "wb") as f:
            f.write(envelope.original_content)
        entry = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "file": name}
        with open(os.path.join(self.maildir, "log.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        # handled=False lets aiosmtpd answer a failure with its standard 535.
        return AuthResult(success=ok, handled=False)
    return check


async def serve(args):
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)

    # A fixed hostname: the default asks socket.getfqdn(), which can stall on DNS.
    options = {"hostname": "localhost"}
    if args.starttls:
        options.update(tls_context=tls, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")
        # aiosmtpd counts only its own STARTTLS as TLS: under implicit TLS (and on a
        # plain test server) AUTH has to be allowed without it.
        options.update(authenticator=authenticator(user, password), auth_required=True,
                       auth_require_tls=args.starttls)

    handler = Handler(args.maildir, args.reject_rcpt, args.tempfail)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), "127.0.0.1", args.port,
                                      ssl=tls if args.implicit_tls else None)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--starttls", action="store_true", help="require STARTTLS before MAIL/AUTH")
    mode.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte")
    parser.add_argument("--auth", metavar="USER:PASS", help="require AUTH LOGIN/PLAIN")
    parser.add_argument("--reject-rcpt", metavar="SUBSTRING", help="answer 550 to such RCPT TO")
    parser.add_argument("--tempfail", type=int, default=0, help="answer 451 to the first N DATA")
    args = parser.parse_args()
    if (args.starttls or args.implicit_tls) and not (args.tls_cert and args.tls_key):
        parser.error("--starttls and --implicit-tls need --tls-cert and --tls-key")
    os.makedirs(args.maildir, exist_ok=True)
    # Allowing AUTH without TLS is deliberate here (loopback only); do not warn about it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
