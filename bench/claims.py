"""Claims benchmark: 50,000 claims (1–3 receipts each) over 20,000 students on
PostgreSQL, from the claims file to finance's payout list, against a per-claim ORM loop
measured in the same run.

    python bench/claims.py [--claims 50000] [--small 10000] [--students 20000]
                           [--loop-claims 1000] [--approve-share 0.1] [--pg postgres://...]

The school is a Wuhan one (SCHOOL_REGION=wuhan, policy year wuhan-2025), where the school
pays ordinary outpatient care off campus with a referral (wuhan notice 五.1–五.3): so the
payout list has rows. The students (20,000, each with an established enrollment covering
2025 and a referral to a hospital valid all year) and a registry of 40 facilities are
bulk-inserted into a fresh PostgreSQL database created here after `migrate`; the claims
file (xlsx, one row per receipt, 申请单号 grouping the receipts of one claim) is built
from the same deterministic generator as the loop's claims: types 55 % 校外门诊（转诊）,
25 % 住院 (with 住院号 and 出院日期), 10 % 急诊垫付, 5 % 大病, 5 % 异地就医 (长期备案);
1, 2 or 3 receipts (50/30/20 %); one claim in 33 is handed in after the 6 months of its
receipt (rejected late_submission). Each measurement runs in a fresh subprocess (its peak
RSS is its own) with Celery eager.

For the full size and for --small (the same students, a fifth of the claims) on a fresh
database each:

- import: claims.services.imports.claims_import_apply (the import_claims --commit path:
  parse, match, draft, number, submit and check every claim), which must create every
  claim with no invalid row; then the same file again, which must create nothing;
- approve (untimed set-up): --approve-share of the school-paid claims received, taken into
  review and approved one by one through claim_approve (the stored breakdowns);
- statements: claims.selectors.claim_statements for every student with claims in 2025,
  each serialised to JSON;
- report: claims.selectors.claims_report(year=2025);
- export: claims.services.payouts.claim_payout_export_open(year=2025), the xlsx for finance.

loop: on a copy of the seeded database, the first --loop-claims claims one at a time
through the per-claim services a team would write first (find the student, facility and
referral; claim_create, claim_submit, then claim_statement of the student: create,
compute, save), compared in claims/s.

The last line is `claims50k speedup_vs_loop=<x> scale_50k_vs_10k=<y> peak_mb=<m>`:
x = claims/s of import+statements at full size over the loop's claims/s; y = the timed
pipeline (import, statements, report, export) at full size over the small one (linear
is 5.0 for 50k/10k); m = the highest peak RSS of the full-size timed children. Goals:
x ≥ 10, y ≈ 5, m ≤ 300 MB.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from claims_data import (  # noqa: E402
    COLLEGES,
    FACILITIES,
    TODAY,
    YEAR,
    build_file,
    claim_spec,
    referral_number,
    student_number,
)
from measure import PG_DEFAULT, drop_pg, peak_mb, pg, report, run_child  # noqa: E402

POLICY_YEAR = "wuhan-2025"
REGION = "wuhan"
TIMED = ("import", "statements", "report", "export")
DB_FULL = "insurance_bench_claims"
DB_SMALL = "insurance_bench_claims_small"
DB_LOOP = "insurance_bench_claims_loop"

# --- children: one measurement each ---------------------------------------------------------


def child(mode: str, args) -> dict:
    import django

    django.setup()
    measures = {
        "seed": lambda: seed(args.students),
        "import": lambda: measure_import(Path(args.file), args.expect_claims),
        "reimport": lambda: measure_reimport(Path(args.file), args.expect_claims),
        "approve": lambda: approve(args.approve_share),
        "statements": measure_statements,
        "report": measure_report,
        "export": measure_export,
        "loop": lambda: measure_loop(args.loop_claims, args.students),
    }
    return measures[mode]()


def seed(count: int) -> dict:
    from django.core.management import call_command
    from stdnum.cn import ric

    from claims.models import Facility, Referral
    from enrollment.models import Enrollment, Student
    from policies.models import PolicyYear

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    policy_year = PolicyYear.objects.get(code=POLICY_YEAR)
    batch = []
    for index in range(count):
        born = date.fromordinal(date(2005, 1, 1).toordinal() + index % 700)
        body = f"4201{index // 1000 % 100:02d}{born:%Y%m%d}{index % 1000:03d}"
        batch.append(
            Student(
                name=f"学生{index}",
                id_type="resident_id",
                id_number=body + ric.calc_check_digit(body + "0"),
                student_number=student_number(index),
                school="示范大学",
                college=COLLEGES[index % len(COLLEGES)],
                major="临床医学",
                education_level="undergraduate",
                study_mode="full_time",
                registered_on=date(2024, 9, 1),
                birth_date=born,
                gender="male" if int(body[-1]) % 2 else "female",
            )
        )
    Student.objects.bulk_create(batch, batch_size=2000)
    students = list(Student.objects.order_by("student_number").values_list("pk", flat=True))
    Enrollment.objects.bulk_create(
        (
            Enrollment(
                student_id=pk,
                policy_year=policy_year,
                kind="collective",
                state="established",
                payer="student",
                premium_due=Decimal("400.00"),  # wuhan notice 三
                amount_paid=Decimal("400.00"),
                cover_start=date(YEAR, 1, 1),
                cover_end=date(YEAR, 12, 31),
            )
            for pk in students
        ),
        batch_size=2000,
    )
    facilities = Facility.objects.bulk_create(
        Facility(name=name, level=level, city="武汉") for name, level in FACILITIES
    )
    hospitals = [facility for facility in facilities if facility.level in ("1", "2", "3")]
    Referral.objects.bulk_create(
        (
            Referral(
                number=referral_number(index),
                student_id=pk,
                issued_on=date(YEAR, 1, 1),
                facility=hospitals[index % len(hospitals)],
                valid_until=date(YEAR, 12, 31),
            )
            for index, pk in enumerate(students)
        ),
        batch_size=2000,
    )
    return {"rows": count, "seconds": time.perf_counter() - started}


def _counts() -> tuple[int, int, int]:
    from claims.models import Claim, ClaimEvent, ClaimLine

    return Claim.objects.count(), ClaimLine.objects.count(), ClaimEvent.objects.count()


def measure_import(path: Path, expected: int) -> dict:
    from claims.services.imports import claims_import_apply

    assert _counts() == (0, 0, 0), "the database is not fresh"
    baseline = peak_mb()
    started = time.perf_counter()
    plan = claims_import_apply(path=path, today=TODAY)
    seconds = time.perf_counter() - started
    done = plan.as_json()
    assert done["invalid"] == [], done["invalid"][:5]
    assert len(done["created"]) == done["claims"] == expected, (done["claims"], expected)
    claims, lines, events = _counts()
    assert claims == expected and lines == done["rows"], (claims, lines)
    rejected: dict[str, int] = {}
    for entry in done["rejected"]:
        rejected[entry["code"]] = rejected.get(entry["code"], 0) + 1
    return {
        "rows": expected,
        "receipts": done["rows"],
        "seconds": seconds,
        "rejected": rejected,
        "events": events,
        "baseline_mb": baseline,
    }


def measure_reimport(path: Path, expected: int) -> dict:
    from claims.services.imports import claims_import_apply

    before = _counts()
    started = time.perf_counter()
    plan = claims_import_apply(path=path, today=TODAY)
    seconds = time.perf_counter() - started
    done = plan.as_json()
    assert done["created"] == [] and done["unchanged"] == expected, (done["unchanged"], expected)
    assert _counts() == before, f"the re-import wrote rows: {before} -> {_counts()}"
    return {"rows": expected, "seconds": seconds}


def approve(share: float) -> dict:
    """Untimed set-up of the payout list: a share of the school-paid claims received,
    taken into review and approved one by one, as staff would."""
    from claims import workflow
    from claims.models import Claim, ClaimDocument
    from claims.services import claims_write
    from claims.services.approval import claim_approve

    started = time.perf_counter()
    school = list(
        Claim.objects.filter(state=workflow.SUBMITTED, payer="school_outpatient_fund")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = school[:: max(1, round(1 / share))] if share else []
    for start in range(0, len(chosen), 2000):
        chunk = chosen[start : start + 2000]
        ClaimDocument.objects.filter(claim_id__in=chunk).update(received=True)
        claims = list(Claim.objects.filter(pk__in=chunk).prefetch_related("documents", "lines"))
        claims_write(claims, to=workflow.IN_REVIEW)
    for pk in chosen:
        claim_approve(claim=Claim(pk=pk, student_id=_student_of(pk)))
    approved = Claim.objects.filter(state=workflow.APPROVED).count()
    assert approved == len(chosen), (approved, len(chosen))
    return {"rows": approved, "seconds": time.perf_counter() - started}


def _student_of(pk: int) -> int:
    from claims.models import Claim

    return Claim.objects.values_list("student_id", flat=True).get(pk=pk)


def measure_statements() -> dict:
    from claims.models import Claim
    from claims.selectors import claim_statements

    students = Claim.objects.filter(policy_year__year=YEAR).values("student").distinct().count()
    baseline = peak_mb()
    started = time.perf_counter()
    count, size = 0, 0
    for statement in claim_statements(year=YEAR):
        size += len(json.dumps(statement, ensure_ascii=False))
        count += 1
    seconds = time.perf_counter() - started
    assert count == students, (count, students)
    claims = Claim.objects.filter(policy_year__year=YEAR).count()
    return {
        "rows": claims,
        "students": count,
        "seconds": seconds,
        "bytes": size,
        "baseline_mb": baseline,
    }


def measure_report() -> dict:
    from claims.models import Claim
    from claims.selectors import claims_report

    claims = Claim.objects.filter(policy_year__year=YEAR).count()
    started = time.perf_counter()
    found = claims_report(year=YEAR)
    seconds = time.perf_counter() - started
    assert found["total"]["count"] == claims, (found["total"], claims)
    return {"rows": claims, "seconds": seconds}


def measure_export() -> dict:
    from claims.services.payouts import claim_payout_export_open, claim_payout_open

    expected = claim_payout_open(year=YEAR).count()
    baseline = peak_mb()
    started = time.perf_counter()
    exported = claim_payout_export_open(year=YEAR)
    seconds = time.perf_counter() - started
    assert exported.rows == expected, (exported.rows, expected)
    return {
        "rows": exported.rows,
        "seconds": seconds,
        "bytes": len(exported.content),
        "total": str(exported.total),
        "baseline_mb": baseline,
    }


def measure_loop(limit: int, students: int) -> dict:
    """The per-claim path: every look-up, create, check and computation for one claim at
    a time, as a first version would do it."""
    from claims import incoming, rules
    from claims.models import Claim, Facility, Referral
    from claims.selectors import claim_statement
    from claims.services import LineInput, claim_create, claim_submit
    from enrollment.models import Student

    assert Claim.objects.count() == 0, "the database is not fresh"
    types = {label: code for code, label in rules.TYPE_LABELS.items()}
    started = time.perf_counter()
    for index in range(limit):
        spec = claim_spec(index, students)
        student = Student.objects.get(student_number=student_number(spec["student"]))
        referral = Referral.objects.get(number=spec["referral"]) if spec["referral"] else None
        claim_type = types[spec["label"]]
        lines = []
        for line in spec["lines"]:
            facility = Facility.objects.get(name=line["facility"])
            lines.append(
                LineInput(
                    invoice_number=line["invoice"],
                    invoice_date=line["invoice_date"],
                    visit_date=line["visit"],
                    discharge_date=line["discharge"],
                    care=incoming.care_for(claim_type, line["stay"]),
                    level=facility.level,
                    facility_id=facility.pk,
                    facility_name=facility.name,
                    total=line["total"],
                    in_scope=line["in_scope"],
                    catastrophic_disease="malignant_tumour" if spec["disease"] else "",
                    stay_key=line["stay"],
                )
            )
        claim = claim_create(
            student=student,
            type=claim_type,
            lines=lines,
            channel={"窗口": "window", "线上": "online", "代办": "proxy"}[spec["channel"]],
            submitted_on=spec["submitted"],
            out_of_city=claim_type == "remote",
            remote_registration="long_term" if spec["registration"] else "none",
            referral=referral,
            bank_account=spec["account"],
        )
        claim_submit(claim=claim, today=TODAY)
        claim_statement(student=student, year=YEAR)
    seconds = time.perf_counter() - started
    assert Claim.objects.count() == limit
    return {"rows": limit, "seconds": seconds}


# --- parent ---------------------------------------------------------------------------------


def pipeline(label: str, database: str, args, claims: int, folder: Path) -> dict:
    """Seed a fresh database, build the file, and run every timed step on it."""
    url = f"{args.pg}/{database}"
    drop_pg(database)
    pg("createdb", database)
    base = ("--students", str(args.students), "--approve-share", str(args.approve_share))
    seeded = run_child(__file__, "seed", url, *base)
    report(f"[{label}] seed (bulk_create)", seeded, "students")
    if label == "full":
        pg("createdb", "-T", database, DB_LOOP)  # the same students, before any claim
    path = folder / f"claims-{claims}.xlsx"
    made = time.perf_counter()
    receipts = build_file(path, claims, args.students)
    print(
        f"[{label}] file: {claims} claims, {receipts} receipts, "
        f"{path.stat().st_size / 1e6:.1f} MB xlsx, built in {time.perf_counter() - made:.1f} s",
        flush=True,
    )
    options = (*base, "--file", str(path), "--expect-claims", str(claims))
    found = {}
    found["import"] = run_child(__file__, "import", url, *options)
    report(f"[{label}] import+check", found["import"], "claims")
    print(
        f"  {found['import']['receipts']} receipts, {found['import']['events']} events, "
        f"rejected {found['import']['rejected']}",
        flush=True,
    )
    again = run_child(__file__, "reimport", url, *options)
    report(f"[{label}]   re-import", again, "claims")
    approved = run_child(__file__, "approve", url, *options)
    report(f"[{label}] approve (set-up)", approved, "claims")
    for step in ("statements", "report", "export"):
        found[step] = run_child(__file__, step, url, *options)
        report(f"[{label}] {step}", found[step], "claims" if step != "export" else "rows")
    print(
        f"  statements for {found['statements']['students']} students "
        f"({found['statements']['bytes'] / 1e6:.1f} MB JSON); payout list "
        f"{found['export']['rows']} rows, {found['export']['total']} yuan",
        flush=True,
    )
    timed = [found[step] for step in TIMED]
    found["seconds"] = sum(step["seconds"] for step in timed)
    found["peak_mb"] = max(step["peak_mb"] for step in timed)
    print(
        f"[{label}] timed pipeline {found['seconds']:.2f} s, peak {found['peak_mb']:.0f} MB",
        flush=True,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--loop-claims", type=int, default=1_000)
    parser.add_argument("--approve-share", type=float, default=0.1)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL, no database")
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--expect-claims", type=int, default=0)
    args = parser.parse_args()

    if args.child:
        result = child(args.child, args)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return

    os.environ["SCHOOL_REGION"] = REGION  # the children inherit it (run_child)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as folder:
            full = pipeline("full", DB_FULL, args, args.claims, Path(folder))
            drop_pg(DB_FULL)
            small = pipeline("small", DB_SMALL, args, args.small, Path(folder))
            drop_pg(DB_SMALL)
        loop = run_child(
            __file__,
            "loop",
            f"{args.pg}/{DB_LOOP}",
            "--students",
            str(args.students),
            "--loop-claims",
            str(args.loop_claims),
        )
        report("loop (per-claim ORM)", loop, "claims")
    finally:
        for name in (DB_FULL, DB_SMALL, DB_LOOP):
            drop_pg(name)
    print(f"wall {time.perf_counter() - started:.1f} s", flush=True)

    ours = args.claims / (full["import"]["seconds"] + full["statements"]["seconds"])
    speedup = ours / (loop["rows"] / loop["seconds"])
    scale = full["seconds"] / small["seconds"]
    print(
        f"claims{args.claims // 1000}k speedup_vs_loop={speedup:.2f} "
        f"scale_{args.claims // 1000}k_vs_{args.small // 1000}k={scale:.2f} "
        f"peak_mb={full['peak_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
