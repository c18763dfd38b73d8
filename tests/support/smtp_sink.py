#!/usr/bin/env python3
"""A small SMTP server for tests (Python standard library only, asyncio).

Listens on --host (default 127.0.0.1; --port, 0 = a free port) and writes the port it got to
--port-file once it accepts connections. Speaks EHLO/HELO, STARTTLS (offered when --cert
and --key are given; with --implicit-tls the whole connection is TLS instead, as on port
465), AUTH PLAIN, LOGIN and CRAM-MD5 (offered when --auth USER:PASS is given,
advertised as --auth-mechs, default "PLAIN LOGIN"; MAIL is
then refused with 530 until authenticated), MAIL, RCPT, DATA, RSET, NOOP, QUIT.

Every accepted message is written to --dir as NNNN.eml (the message after dot-unstuffing,
CRLF line ends as received), NNNN.raw (the DATA payload as it came over the wire) and
NNNN.env (lines "from ADDR", "to ADDR" for each recipient, "tls yes|no", "auth USER|-").
The files are written under a temporary name and renamed, so a reader never sees a
partial file.

--fail-first N answers "451 4.3.0 try again later" at the end of DATA to the first N
transactions; --reject answers "554 5.6.0 message rejected" to every transaction.
Each answered transaction (accepted or not) appends a line to DIR/transactions.log.

Usage: smtp_sink.py --dir OUT --port-file FILE [--port 0] [--cert C --key K]
                    [--implicit-tls] [--auth USER:PASS] [--auth-mechs "PLAIN LOGIN"]
                    [--host 127.0.0.1] [--fail-first N] [--reject]
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import sys


class Sink:
    def __init__(self, args):
        self.args = args
        self.count = 0          # messages stored
        self.transactions = 0   # DATA transactions answered
        self.ssl_ctx = None
        if args.cert and args.key:
            self.ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ssl_ctx.load_cert_chain(args.cert, args.key)
        self.user, self.password = (args.auth.split(":", 1) if args.auth else (None, None))

    def log(self, line):
        with open(os.path.join(self.args.dir, "transactions.log"), "a") as f:
            f.write(line + "\n")

    def store(self, mail_from, rcpts, tls, auth, data, raw):
        self.count += 1
        base = os.path.join(self.args.dir, "%04d" % self.count)
        for ext, content in ((".eml", data), (".raw", raw)):
            with open(base + ext + ".tmp", "wb") as f:
                f.write(content)
            os.rename(base + ext + ".tmp", base + ext)
        env = "from %s\n" % mail_from
        env += "".join("to %s\n" % r for r in rcpts)
        env += "tls %s\nauth %s\n" % ("yes" if tls else "no", auth or "-")
        with open(base + ".env.tmp", "w") as f:
            f.write(env)
        os.rename(base + ".env.tmp", base + ".env")

    async def handle(self, reader, writer):
        tls = self.args.implicit_tls
        auth = None
        mail_from = None
        rcpts = []

        async def send(line):
            writer.write((line + "\r\n").encode())
            await writer.drain()

        async def readline():
            line = await reader.readline()
            if not line:
                raise ConnectionError("closed")
            return line

        try:
            await send("220 smtp-sink ESMTP ready")
            while True:
                line = (await readline()).decode("utf-8", "replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                arg = line[len(verb) + 1:] if " " in line else ""
                if verb == "EHLO":
                    exts = ["smtp-sink greets " + arg, "8BITMIME"]
                    if self.ssl_ctx and not tls and not self.args.implicit_tls:
                        exts.append("STARTTLS")
                    if self.user is not None:
                        exts.append("AUTH " + self.args.auth_mechs)
                    for i, e in enumerate(exts):
                        await send("250%s%s" % (" " if i == len(exts) - 1 else "-", e))
                elif verb == "HELO":
                    await send("250 smtp-sink")
                elif verb == "STARTTLS":
                    if not self.ssl_ctx or tls:
                        await send("502 5.5.1 STARTTLS not available")
                        continue
                    await send("220 2.0.0 ready to start TLS")
                    await writer.start_tls(self.ssl_ctx)
                    tls = True
                    mail_from, rcpts, auth = None, [], None
                elif verb == "AUTH":
                    if self.user is None:
                        await send("502 5.5.1 AUTH not available")
                        continue
                    parts = arg.split(" ")
                    mech = parts[0].upper()
                    if mech == "PLAIN":
                        if len(parts) > 1:
                            blob = parts[1]
                        else:
                            await send("334 ")
                            blob = (await readline()).decode().strip()
                        fields = base64.b64decode(blob).split(b"\0")
                        user, pw = (fields[1].decode(), fields[2].decode()) if len(fields) == 3 else (None, None)
                    elif mech == "CRAM-MD5":
                        challenge = b"<%d.%d@smtp-sink>" % (os.getpid(), self.count)
                        await send("334 " + base64.b64encode(challenge).decode())
                        answer = base64.b64decode((await readline()).strip()).decode()
                        user, _, digest = answer.partition(" ")
                        expected = hmac.new(self.password.encode(), challenge, hashlib.md5).hexdigest()
                        pw = self.password if hmac.compare_digest(digest, expected) else None
                    elif mech == "LOGIN":
                        await send("334 " + base64.b64encode(b"Username:").decode())
                        user = base64.b64decode((await readline()).strip()).decode()
                        await send("334 " + base64.b64encode(b"Password:").decode())
                        pw = base64.b64decode((await readline()).strip()).decode()
                    else:
                        await send("504 5.5.4 unrecognized authentication type")
                        continue
                    if user == self.user and pw == self.password:
                        auth = user
                        await send("235 2.7.0 authentication successful")
                    else:
                        await send("535 5.7.8 authentication credentials invalid")
                elif verb == "MAIL":
                    if self.user is not None and auth is None:
                        await send("530 5.7.0 authentication required")
                        continue
                    mail_from = arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                    rcpts = []
                    await send("250 2.1.0 ok")
                elif verb == "RCPT":
                    if mail_from is None:
                        await send("503 5.5.1 need MAIL first")
                        continue
                    rcpts.append(arg.split(":", 1)[1].strip().strip("<>"))
                    await send("250 2.1.5 ok")
                elif verb == "DATA":
                    if not rcpts:
                        await send("503 5.5.1 need RCPT first")
                        continue
                    await send("354 end data with <CR><LF>.<CR><LF>")
                    raw = b""
                    data = b""
                    while True:
                        l = await readline()
                        raw += l
                        if l == b".\r\n":
                            break
                        if l.startswith(b"."):
                            l = l[1:]
                        data += l
                    self.transactions += 1
                    if self.args.reject:
                        self.log("rejected 554")
                        await send("554 5.6.0 message rejected")
                    elif self.transactions <= self.args.fail_first:
                        self.log("deferred 451")
                        await send("451 4.3.0 try again later")
                    else:
                        self.store(mail_from, rcpts, tls, auth, data, raw)
                        self.log("accepted")
                        await send("250 2.0.0 queued as %04d" % self.count)
                    mail_from, rcpts = None, []
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    await send("250 2.0.0 ok")
                elif verb == "NOOP":
                    await send("250 2.0.0 ok")
                elif verb == "QUIT":
                    await send("221 2.0.0 bye")
                    break
                else:
                    await send("500 5.5.2 command not recognized")
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--auth-mechs", default="PLAIN LOGIN")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--reject", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    args = p.parse_args()
    sink = Sink(args)
    server = await asyncio.start_server(sink.handle, args.host, args.port,
                                        ssl=sink.ssl_ctx if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
