import datetime as dt
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from consuntivi.models import Round
from consuntivi.scores import PlanScoring, no_round_at_message, plan_score, round_at, round_of_year
from perfplan.formats import date_it, parse_date_it, percent_it
from plans.models import Plan


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _value(value) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def scoring_document(scoring: PlanScoring) -> dict:
    """The JSON of DESIGN.md: the scored tree with indicators, scores as percentages (or null)."""
    tree, result = scoring.tree, scoring.result

    def node_doc(node) -> dict:
        score = result.nodes[node.pk]
        indicators = []
        for ind in tree.indicators_of.get(node.pk, []):
            s = result.indicators[ind.pk]
            target = tree.targets_of.get(ind.pk, {}).get(scoring.year)
            indicators.append(
                {
                    "code": ind.code,
                    "name": ind.name,
                    "weight": _number(ind.weight),
                    "target": target.raw if target is not None else None,
                    "value": _value(s.value),
                    "score": _number(s.achievement),
                    "status": s.status,
                    "rule": s.rule,
                    "computed": _number(s.computed),
                }
            )
        return {
            "code": node.code,
            "level": node.level,
            "title": node.title,
            "weight": _number(node.weight),
            "score": _number(score.score),
            "coverage": _number(score.coverage),
            "band": score.band,
            "indicators": indicators,
            "children": [node_doc(child) for child in tree.children_of.get(node.pk, [])],
        }

    plan = scoring.plan
    return {
        "plan": plan.pk,
        "title": plan.title,
        "ente": plan.ente.code,
        "year": scoring.year,
        "score": _number(result.score),
        "coverage": _number(result.coverage),
        "band": result.band,
        "nodes": [node_doc(root) for root in tree.roots],
        "units": [
            {"code": u.code, "name": u.name, "score": _number(u.score), "coverage": _number(u.coverage)}
            for u in sorted(scoring.units.values(), key=lambda u: u.code)
        ],
    }


def date_option(text: str) -> dt.date:
    """`--al` GG/MM/AAAA (or ISO), as the contract writes it."""
    at = parse_date_it(text)
    if at is None:
        raise CommandError(f"Data non valida: «{text}» (scrivere GG/MM/AAAA, per esempio 30/06/2017).")
    return at


def round_for_options(
    plan: Plan, year: int, al: str | None, round_id: int | None
) -> tuple[Round | None, dt.date | None]:
    """The round `--al` or `--round` asks for (None, None without them: the final round, as always)."""
    if round_id is not None:
        chosen = round_of_year(plan=plan, year=year, round_id=round_id)
        if chosen is None:
            raise CommandError(f"La rilevazione {round_id} non appartiene all'anno {year} del piano {plan.pk}.")
        return chosen, chosen.period_end
    if al is None:
        return None, None
    at = date_option(al)
    chosen = round_at(plan=plan, year=year, at=at)
    if chosen is None:
        raise CommandError(no_round_at_message(year=year, at=at))
    return chosen, at


class Command(BaseCommand):
    help = "Calcola il grado di raggiungimento di un piano per un anno (albero con punteggi, o JSON)."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--json", action="store_true", help="stampa solo il JSON, su una riga")
        parser.add_argument(
            "--al", metavar="GG/MM/AAAA", help="la situazione a quella data (l'ultima rilevazione conclusa entro essa)"
        )
        parser.add_argument("--round", type=int, metavar="ID", help="i valori di quella rilevazione dell'anno")

    def handle(self, *args, **options):
        plan = Plan.objects.select_related("ente").filter(pk=options["plan_id"]).first()
        if plan is None:
            raise CommandError(f"Il piano {options['plan_id']} non esiste.")
        if options["year"] not in plan.years:
            raise CommandError(f"L'anno {options['year']} non rientra nel piano ({plan.start_year}-{plan.end_year}).")
        data_round, at = round_for_options(plan, options["year"], options["al"], options["round"])
        scoring = plan_score(plan=plan, year=options["year"], data_round=data_round)
        if options["json"]:
            document = scoring_document(scoring)
            if data_round is not None:
                document["al"] = at.isoformat()
                document["round"] = {
                    "id": data_round.pk,
                    "label": str(data_round),
                    "period": data_round.period,
                    "period_end": data_round.period_end.isoformat(),
                    "final": data_round.final,
                }
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        self._print_text(scoring, data_round, at)

    def _print_text(self, scoring: PlanScoring, data_round: Round | None = None, at: dt.date | None = None) -> None:
        tree, result = scoring.tree, scoring.result
        width = 96
        self.stdout.write(f"{scoring.plan.title} – {scoring.plan.ente.name} – anno {scoring.year}")
        if data_round is not None:
            self.stdout.write(
                f"Situazione al {date_it(at)}: {data_round} (periodo chiuso al {date_it(data_round.period_end)})"
            )
        self.stdout.write(f"{'Ente':<{width}}{percent_it(result.score):>10}")
        for node in tree.objectives:
            score = result.nodes[node.pk]
            label = f"{'  ' * (tree.depth[node.pk] + 1)}{node.code} {node.title}"
            if len(label) > width - 2:
                label = label[: width - 3] + "…"
            coverage = ""
            if score.coverage is not None and score.coverage < 100:
                coverage = f"  copertura {percent_it(score.coverage, 0)}"
            self.stdout.write(f"{label:<{width}}{percent_it(score.score):>10}{coverage}")
