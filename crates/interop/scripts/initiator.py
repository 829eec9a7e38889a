#!/usr/bin/python3
"""MIT GSS-API driver for kerbgate's live interop tests.

Run with Debian's /usr/bin/python3 (python3-gssapi, linked against MIT krb5).
Reads one JSON object per line on stdin and answers one JSON object per line
on stdout. One process holds one security context, either as initiator
("init", then "step") or as acceptor ("accept", repeated while the peer sends
tokens); after that the per-message ops work in either role.

Ops (all byte strings are lower-case hex):
  {"op":"init","target":T,"mech":"krb5"|"mskrb5"|"spnego","flags":[...],
   "channel_bindings":{...}}             -> {"ok":true,"token":H,"complete":B}
  {"op":"step","token":H}                -> {"ok":true,"token":H|null,"complete":B}
  {"op":"accept","token":H,"channel_bindings":{...}}
                                         -> {"ok":true,"token":H|null,"complete":B,
                                             "initiator":P,"delegated":B}
  {"op":"wrap","data":H,"conf":B}        -> {"ok":true,"token":H,"conf":B}
  {"op":"unwrap","token":H}              -> {"ok":true,"data":H,"conf":B}
  {"op":"get_mic","data":H}              -> {"ok":true,"token":H}
  {"op":"verify_mic","data":H,"token":H} -> {"ok":true}
  {"op":"info"}                          -> {"ok":true,"flags":[...],"mech":OID,...}
Failures answer {"ok":false,"error":TEXT} with the GSS major/minor messages.

T is "service@host" (GSS host-based name) unless it contains "/" or the
request says "name_type":"principal", then it is a Kerberos principal name.
The initiator uses the credentials in KRB5CCNAME; the acceptor uses the
keytab in KRB5_KTNAME. Nothing here opens sockets: the krb5 library talks
to the KDC named in KRB5_CONFIG.
"""

import json
import sys

import gssapi
import gssapi.raw as graw

MECHS = {
    "krb5": "1.2.840.113554.1.2.2",
    "mskrb5": "1.2.840.48018.1.2.2",
    "spnego": "1.3.6.1.5.5.2",
}

FLAGS = {
    "deleg": gssapi.RequirementFlag.delegate_to_peer,
    "mutual": gssapi.RequirementFlag.mutual_authentication,
    "replay": gssapi.RequirementFlag.replay_detection,
    "sequence": gssapi.RequirementFlag.out_of_sequence_detection,
    "conf": gssapi.RequirementFlag.confidentiality,
    "integ": gssapi.RequirementFlag.integrity,
    "anon": gssapi.RequirementFlag.anonymity,
}

# GSS_C_INQ_SSPI_SESSION_KEY: MIT answers [key, OID 1.2.840.113554.1.2.2.4.<enctype>].
SSPI_SESSION_KEY = "1.2.840.113554.1.2.2.5.5"
ENCTYPE_OID_PREFIX = "1.2.840.113554.1.2.2.4."


def oid(dotted):
    return gssapi.OID.from_int_seq(dotted)


def unhex(value):
    return bytes.fromhex(value) if value else b""


def channel_bindings(spec):
    if not spec:
        return None
    return graw.ChannelBindings(
        initiator_address_type=spec.get("initiator_address_type"),
        initiator_address=unhex(spec.get("initiator_address")) or None,
        acceptor_address_type=spec.get("acceptor_address_type"),
        acceptor_address=unhex(spec.get("acceptor_address")) or None,
        application_data=unhex(spec.get("application_data")) or None,
    )


def flag_names(flags):
    return sorted(name for name, bit in FLAGS.items() if flags & bit)


class Driver:
    def __init__(self):
        self.ctx = None

    def context(self):
        if self.ctx is None:
            raise ValueError("no security context yet: send init or accept first")
        return self.ctx

    def answer_step(self, token):
        ctx = self.context()
        return {
            "ok": True,
            "token": token.hex() if token else None,
            "complete": bool(ctx.complete),
        }

    def op_init(self, req):
        target = req["target"]
        if "/" in target or req.get("name_type") == "principal":
            name = gssapi.Name(target, gssapi.NameType.kerberos_principal)
        else:
            name = gssapi.Name(target, gssapi.NameType.hostbased_service)
        flags = 0
        for flag in req.get("flags", []):
            if flag not in FLAGS:
                raise ValueError("unknown flag %r" % flag)
            flags |= FLAGS[flag]
        if not flags:
            # python-gssapi replaces a zero flag set with mutual|sequence.
            # MIT's krb5 mech always sets integ and conf itself, so asking
            # for integ alone puts the same flags on the wire as asking for
            # none.
            flags = FLAGS["integ"]
        mech = MECHS.get(req.get("mech", "krb5"), req.get("mech"))
        self.ctx = gssapi.SecurityContext(
            name=name,
            mech=oid(mech),
            flags=flags,
            usage="initiate",
            channel_bindings=channel_bindings(req.get("channel_bindings")),
            lifetime=req.get("lifetime"),
        )
        return self.answer_step(self.ctx.step())

    def op_step(self, req):
        return self.answer_step(self.context().step(unhex(req["token"])))

    def op_accept(self, req):
        token = unhex(req["token"])
        if self.ctx is None:
            # MIT 1.20 refuses a Microsoft-OID token with default acceptor
            # credentials; credentials acquired for that OID accept it.
            creds = None
            mech = req.get("mech") or ("mskrb5" if token_mech(token) == MECHS["mskrb5"] else None)
            if mech is not None:
                mech_oid = oid(MECHS.get(mech, mech))
                creds = gssapi.Credentials(usage="accept", mechs=[mech_oid])
            self.ctx = gssapi.SecurityContext(
                usage="accept",
                creds=creds,
                channel_bindings=channel_bindings(req.get("channel_bindings")),
            )
        out = self.answer_step(self.ctx.step(token))
        if self.ctx.complete:
            out["initiator"] = str(self.ctx.initiator_name)
            out["delegated"] = self.ctx.delegated_creds is not None
        return out

    def op_wrap(self, req):
        res = self.context().wrap(unhex(req["data"]), bool(req.get("conf", True)))
        return {"ok": True, "token": res.message.hex(), "conf": bool(res.encrypted)}

    def op_unwrap(self, req):
        res = self.context().unwrap(unhex(req["token"]))
        return {"ok": True, "data": res.message.hex(), "conf": bool(res.encrypted)}

    def op_get_mic(self, req):
        return {"ok": True, "token": self.context().get_signature(unhex(req["data"])).hex()}

    def op_verify_mic(self, req):
        self.context().verify_signature(unhex(req["data"]), unhex(req["token"]))
        return {"ok": True}

    def op_info(self, _req):
        ctx = self.context()
        out = {
            "ok": True,
            "complete": bool(ctx.complete),
            "flags": flag_names(ctx.actual_flags),
            "mech": ctx.mech.dotted_form if ctx.mech is not None else None,
            "lifetime": ctx.lifetime,
            "initiator": str(ctx.initiator_name) if ctx.initiator_name else None,
            "target": str(ctx.target_name) if ctx.target_name else None,
            "session_enctype": None,
        }
        try:
            bufs = graw.inquire_sec_context_by_oid(ctx, oid(SSPI_SESSION_KEY))
            # Only the enctype leaves this process, never the key itself.
            if len(bufs) >= 2:
                text = bufs[1].decode("ascii", "replace")
                if text.startswith(ENCTYPE_OID_PREFIX):
                    out["session_enctype"] = int(text[len(ENCTYPE_OID_PREFIX):])
                else:
                    out["session_enctype"] = enctype_from_oid_bytes(bufs[1])
        except gssapi.exceptions.GSSError:
            pass
        return out


def token_mech(token):
    """The dotted mech OID of an RFC 2743 3.1 framed token, or None."""
    # 0x60, a short or long DER length, then 0x06 and the OID.
    if len(token) < 4 or token[0] != 0x60:
        return None
    pos = 2 + (token[1] & 0x7F if token[1] & 0x80 else 0)
    if pos + 2 > len(token) or token[pos] != 0x06:
        return None
    der = token[pos + 2:pos + 2 + token[pos + 1]]
    if not der:
        return None
    arcs = [der[0] // 40, der[0] % 40]
    value = 0
    for byte in der[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(arc) for arc in arcs)


def enctype_from_oid_bytes(der):
    """Decode the DER body of 1.2.840.113554.1.2.2.4.<n> and return n."""
    prefix = bytes.fromhex("2a864886f712010202" "04")
    if not der.startswith(prefix):
        return None
    value = 0
    for byte in der[len(prefix):]:
        value = (value << 7) | (byte & 0x7F)
    return value


def main():
    driver = Driver()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            handler = getattr(driver, "op_" + str(req.get("op")), None)
            if handler is None:
                out = {"ok": False, "error": "unknown op %r" % req.get("op")}
            else:
                out = handler(req)
        except gssapi.exceptions.GSSError as err:
            out = {"ok": False, "error": err.gen_message(), "major": err.maj_code,
                   "minor": err.min_code}
        except (ValueError, KeyError, TypeError) as err:
            out = {"ok": False, "error": "bad request: %s" % err}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
