#!/usr/bin/python3
"""Regenerates the MIT-made keytabs in this folder and expectations.txt.

Run from this folder with MIT krb5 installed (Debian: krb5-user). Keytabs are
written by `ktutil` (addent -password, wkt); the expected principal, kvno,
enctype, timestamp and key of every entry are taken from `klist -ketK`, so
both sides of the expectation come from MIT. The timestamps change on every
run; the keys do not.
"""
import os
import subprocess

ALL = ["aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha1-96",
       "aes128-cts-hmac-sha256-128", "aes256-cts-hmac-sha384-192",
       "arcfour-hmac", "camellia128-cts-cmac", "camellia256-cts-cmac"]

# file -> list of (principal, kvno, enctypes, password, explicit salt or None)
FILES = {
    "all-enctypes.keytab": [
        ("imap/mail.example.com@EXAMPLE.COM", 3, ALL, "correct horse battery staple", None),
    ],
    "principals.keytab": [
        ("alice@EXAMPLE.COM", 1, ["aes256-cts-hmac-sha1-96"], "alice-pw", None),
        ("HTTP/www.example.org@EXAMPLE.ORG", 2, ["aes128-cts-hmac-sha256-128"], "http-pw", None),
        ("host/node1/rack7@SUB.EXAMPLE.NET", 300, ["camellia256-cts-cmac"], "three comps", None),
        ("krbtgt/EXAMPLE.COM@EXAMPLE.COM", 7, ["aes256-cts-hmac-sha384-192"], "tgt", None),
        ("svc/h.example.com@EXAMPLE.COM", 70000, ["arcfour-hmac"], "big kvno", None),
    ],
    "unicode.keytab": [
        ("jürgen/büro@BEISPIEL.DE", 1,
         ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha256-128", "arcfour-hmac",
          "camellia128-cts-cmac"], "pässwörd€🔑", None),
    ],
    "salt.keytab": [
        ("svc/h.example.com@EXAMPLE.COM", 4,
         ["aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha384-192", "camellia256-cts-cmac"],
         "salty", "EXAMPLE.COMsomethingelse"),
        ("svc/h.example.com@EXAMPLE.COM", 5, ["aes256-cts-hmac-sha1-96"], "salty", "sälz"),
    ],
}


def nt(principal):
    # MIT krb5_parse_name infers the name type: krbtgt/X is NT-SRV-INST (2).
    return 2 if principal.startswith("krbtgt/") and principal.count("/") == 1 else 1


def main():
    out = ["# MIT krb5 1.20.1 ktutil keytabs: expected entries, as klist -ketK lists them.",
           "# See README.md. One block per entry; file/index locate it; password and",
           "# salt are hex of the UTF-8 bytes (no salt line: the default salt).", ""]
    env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    for name, adds in FILES.items():
        if os.path.exists(name):
            os.remove(name)
        script = ""
        for principal, kvno, enctypes, password, salt in adds:
            for e in enctypes:
                salt_opt = f" -s {salt}" if salt else ""
                script += f"addent -password -p {principal} -k {kvno} -e {e}{salt_opt}\n{password}\n"
        script += f"wkt {name}\n"
        subprocess.run(["ktutil"], input=script.encode(), env=env, check=True,
                       stdout=subprocess.DEVNULL)
        listing = subprocess.run(["klist", "-ketK", name], env=env, check=True,
                                 capture_output=True).stdout.decode().splitlines()[3:]
        expected = [(p, k, e, pw, s) for p, k, es, pw, s in adds for e in es]
        assert len(listing) == len(expected), (name, listing)
        for i, (line, (principal, kvno, enctype, password, salt)) in enumerate(zip(listing, expected)):
            fields = line.split()
            # KVNO date time principal (enctype) (0xKEY)
            assert int(fields[0]) == kvno and fields[3] == principal, line
            assert fields[4] == f"({enctype})" or fields[4] == f"(DEPRECATED:{enctype})", line
            key = fields[5].strip("()")[2:]
            out += [f"file = {name}", f"index = {i}", f"principal = {principal}",
                    f"name_type = {nt(principal)}", f"kvno = {kvno}", f"enctype = {enctype}",
                    f"timestamp = {fields[1]} {fields[2]}",
                    f"password = {password.encode().hex()}"]
            if salt:
                out.append(f"salt = {salt.encode().hex()}")
            out += [f"key = {key}", ""]
    with open("expectations.txt", "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
