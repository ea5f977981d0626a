"""The demo, loaded in the order the apps stand on each other: the towns and accounts (``municipalities.demo``),
then each domain's own part (``<app>/demo/``). Idempotent: running it again updates rows."""

from funding.demo.loader import load_funding
from knowledge.demo.loader import load_knowledge
from municipalities.demo.loader import DemoAccount, citizens_of, load_accounts, load_towns
from municipalities.models import Municipality
from participation.demo.loader import load_participation
from projects.demo.loader import load_projects
from surveys.demo.loader import load_surveys


def load_demo(*, with_accounts: bool = True) -> tuple[list[Municipality], list[DemoAccount]]:
    consortium, towns = load_towns()
    accounts = load_accounts(towns) if with_accounts else []
    load_projects(consortium, towns)
    load_funding(towns)
    accounts += load_participation(towns, with_accounts=with_accounts)
    load_surveys(towns, citizens=citizens_of(accounts))
    load_knowledge(towns)
    return towns, accounts
