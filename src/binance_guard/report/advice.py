"""Every piece of remediation advice the reports give, in one place to keep them consistent.

Binance's own advice (the seed document): delete a leaked key first, then create a new one
with the least privilege, withdrawals off and an IP restriction; rotate every 90 days.
"""

ADVICE = """\
What to do now:
  1. Take the value out of the file and load it at run time from an environment variable
     (e.g. BINANCE_API_KEY / BINANCE_API_SECRET) or a secrets manager.
  2. If this key was ever pushed, shared or committed before, treat it as stolen: delete it
     in Binance (Profile > API Management) first, then create a new key with only the
     permissions you need, withdrawals off, restricted to your server's IP.
  3. Not a real key? Mark the line with `# pragma: allowlist secret`; or list its fingerprint
     (--format json) with a reason under [[allowlist.fingerprints]] in .binance-guard.toml;
     or accept it in a baseline: binance-guard scan --write-baseline .secrets.baseline,
     then add `args: [--baseline, .secrets.baseline]` to both hooks in .pre-commit-config.yaml"""

HISTORY_ADVICE = """\
What to do now:
  1. Delete every key listed above in Binance (Profile > API Management), even those only in
     history: anyone who cloned or forked the repository has them. Then review recent orders,
     withdrawals and transfers.
  2. Create new keys with only the permissions you need, withdrawals off, restricted to your
     server's IP, and keep them out of the repository (environment variables, secrets manager).
  3. Then remove the old values from history: binance-guard scrub (dry run first), then
     force-push every changed branch and tag; collaborators must re-clone."""

INCIDENT_STEPS = """\
This key is LIVE. Incident steps (Binance's advice):
  1. Delete the key now: Binance > Profile > API Management.
  2. Review recent orders, withdrawals and transfers for activity you did not make.
  3. Change your Binance password and review authorised devices.
  4. Create a fresh key with the least privilege (withdrawals off) and IP restriction.
  5. If withdrawals occurred, contact Binance support at once and report it."""

REMEDIATION = (
    "Delete the key in Binance (Profile > API Management) first: a pushed key must be treated "
    "as stolen. Create a new key with only the permissions you need, withdrawals off and "
    "restricted to your server's IP, and load it from an environment variable or a secrets "
    "manager. Then remove it from history (binance-guard scrub)."
)

ANNOTATION = "Delete it in Binance API Management first, then load it from a secret store."

SUMMARY = (
    "Delete each key in Binance API Management before anything else: a pushed key must be "
    "treated as stolen."
)
