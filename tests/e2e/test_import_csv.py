"""`cs-mailchimp clients import`: bad rows reported by line and skipped, good rows always land."""

from __future__ import annotations

import json
from pathlib import Path

from support.harness import World

from calendarspots_mailchimp.core.model import ActivityKind, Client, NewsletterStatus
from calendarspots_mailchimp.core.services.tenancy import record_alone

HEADER = "email,first_name,last_name,birthday,client_id"


def write(tmp_path: Path, name: str, lines: list[str], bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode())
    return str(path)


def import_json(world: World, path: str, tenant: str = "salon") -> dict[str, object]:
    result = world.cli("clients", "import", tenant, path, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def big_csv(count: int) -> tuple[list[str], dict[int, str]]:
    """`count` data rows; every 200th is bad, in five ways. Returns the lines and, per bad
    line number, the first word of the expected reason."""
    lines = [HEADER]
    bad: dict[int, str] = {}
    for i in range(count):
        line = i + 2
        email, birthday, cid = f"c{i}@example.com", f"19{50 + i % 50}-{1 + i % 12:02d}-15", f"N{i}"
        kind = (i // 200) % 5 if i % 200 == 199 else -1
        if kind == 0:
            email, bad[line] = "", "email"  # no address at all: nothing to key the client on
        elif kind == 1:
            birthday, bad[line] = "1990-02-30", "impossible"
        elif kind == 2:
            email, bad[line] = "C0@Example.com", "duplicate"  # line 2 has it, in other case
        elif kind == 3:
            lines.append(f"{email},Prénom{i},D'Nom{i}")
            bad[line] = "expected"
            continue
        elif kind == 4:
            # A stored client (A<n>) would take the address another stored one (B<n>) keeps.
            email, cid, bad[line] = f"b{i}@example.com", f"A{i}", "client_id"
        lines.append(f"{email},Prénom{i},D'Nom{i},{birthday},{cid}")
    return lines, bad


def test_ten_thousand_rows_with_fifty_bad_ones(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    lines, bad = big_csv(10_000)
    conflicts = [i for i in range(10_000) if i % 200 == 199 and (i // 200) % 5 == 4]
    stored = [HEADER]
    for i in conflicts:
        stored += [f"a{i}@example.com,Ann,A,,A{i}", f"b{i}@example.com,Bea,B,,B{i}"]
    assert import_json(world, write(tmp_path, "stored.csv", stored))["added"] == 20

    report = import_json(world, write(tmp_path, "big.csv", lines, bom=True))

    assert len(bad) == 50
    assert (report["added"], report["updated"], report["skipped"]) == (9_950, 0, 50)
    errors = report["errors"]
    assert isinstance(errors, list)
    assert [(e["line"], e["reason"].split(" ")[0]) for e in errors] == sorted(bad.items())
    clients = world.clients("salon")
    assert len(clients) == 9_970
    assert clients["c1@example.com"].first_name == "Prénom1"
    assert clients["c1@example.com"].last_name == "D'Nom1"
    for i in conflicts:  # neither stored client changed
        assert clients[f"a{i}@example.com"].client_id == f"A{i}"
        assert clients[f"b{i}@example.com"].client_id == f"B{i}"


def test_reimport_updates_by_client_id_else_by_email(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    first = [
        HEADER,
        "zoe@example.com,Zoé,Côté,1990-02-28,Z1",
        "Noid@Example.com,Émile,O'Neil,,",
        "keep@example.com,Kim,Lee,07-14,K1",
    ]
    assert import_json(world, write(tmp_path, "one.csv", first))["added"] == 3
    world.container.client_store().set_newsletter(
        "salon", "keep@example.com", NewsletterStatus.CLEANED
    )

    again = [
        HEADER,
        "zoe.new@example.com,Zoë,Côté,1990-02-28,Z1",  # by id: the address changes
        'NOID@example.COM,Émile,"O\'Neil, Jr",1992-02-29,',  # by email, any case
        "keep@example.com,Kim,Lee-Park,07-14,K1",
    ]
    report = import_json(world, write(tmp_path, "two.csv", again, bom=True))

    assert (report["added"], report["updated"], report["skipped"]) == (0, 3, 0)
    clients = world.clients("salon")
    assert set(clients) == {"zoe.new@example.com", "noid@example.com", "keep@example.com"}
    assert clients["zoe.new@example.com"].client_id == "Z1"
    assert clients["zoe.new@example.com"].first_name == "Zoë"
    noid = clients["noid@example.com"]
    assert noid.last_name == "O'Neil, Jr" and noid.birthday is not None
    assert noid.birthday.iso() == "1992-02-29"
    keep = clients["keep@example.com"]
    assert keep.last_name == "Lee-Park"
    assert keep.newsletter == NewsletterStatus.CLEANED  # an import never re-subscribes


def test_an_address_freed_earlier_in_the_file_may_be_taken(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    stored = [HEADER, "x@example.com,X,X,,X1", "y@example.com,Y,Y,,Y1"]
    import_json(world, write(tmp_path, "one.csv", stored))
    moves = [
        HEADER,
        "y2@example.com,Y,Y,,Y1",  # Y1 leaves y@ ...
        "y@example.com,X,X,,X1",  # ... so X1 may take it
        "x@example.com,New,Client,,N1",  # and x@ is free for a new client
    ]
    report = import_json(world, write(tmp_path, "two.csv", moves))
    assert report["skipped"] == 0, report
    assert (report["added"], report["updated"]) == (1, 2)
    ids = {email: c.client_id for email, c in world.clients("salon").items()}
    assert ids == {"y2@example.com": "Y1", "y@example.com": "X1", "x@example.com": "N1"}


def test_a_new_client_id_cannot_take_an_address_another_client_keeps(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant("salon")
    import_json(world, write(tmp_path, "one.csv", [HEADER, "ann@example.com,Ann,Lee,,C1"]))

    report = import_json(
        world, write(tmp_path, "two.csv", [HEADER, "Ann@Example.com,Other,Person,,ZZ1"])
    )

    assert (report["added"], report["updated"], report["skipped"]) == (0, 0, 1)
    assert "'C1' already has that address" in report["errors"][0]["reason"]
    [ann] = world.clients("salon").values()
    assert (ann.client_id, ann.first_name, ann.last_name) == ("C1", "Ann", "Lee")


def test_text_output_reports_each_bad_line_on_stderr(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    path = write(
        tmp_path, "c.csv", [HEADER, "ok@example.com,A,B,,", "nope,A,B,,", "o@x.com,A,B,13-01,"]
    )
    result = world.cli("clients", "import", "salon", path)
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "2 clients added, 0 updated, 1 row skipped, 1 kept with a warning"
    )
    assert result.stderr.splitlines() == [
        "line 3: invalid email address 'nope': kept, the sync skips this client until the "
        "address is fixed",
        "line 4: impossible birthday '13-01'",
    ]


def test_whole_file_problems_fail_with_one_line(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    cases = {
        write(tmp_path, "h.csv", ["email,first_name,last_name", "a@example.com,A,B"]): "lacks",
        str(tmp_path / "missing.csv"): "cannot read",
    }
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + "\nzoe@example.com,Zoé,C,,\n").encode("latin-1"))
    cases[str(latin)] = "not UTF-8"
    for path, words in cases.items():
        result = world.cli("clients", "import", "salon", path)
        assert result.exit_code == 2, (path, result.output)
        assert result.stdout == ""
        assert result.stderr.startswith("error: ") and words in result.stderr
        assert result.stderr.count("\n") == 1
    assert world.clients("salon") == {}
    unknown = world.cli("clients", "import", "nobody", str(latin))
    assert unknown.exit_code == 3
    assert unknown.stderr == "error: no tenant 'nobody'\n"


def test_excel_unicode_text_and_french_excel_files_import(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    rows = [
        ["email", "first_name", "last_name", "birthday", "client_id"],
        ["zoe@example.com", "Zoé", "Côté; Jr", "02-29", "Z1"],
        ["emile@example.com", "Émile", "O'Neil", "", "E1"],
    ]
    unicode_text = tmp_path / "unicode.txt"  # Excel: Save as "Unicode text"
    unicode_text.write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    french = tmp_path / "french.csv"  # French Excel: CSV (semicolons), with a BOM
    rows[1][2] = '"Côté; Jr"'
    french.write_bytes(("\ufeff" + "\r\n".join(";".join(r) for r in rows)).encode())
    for path in (unicode_text, french):
        report = import_json(world, str(path))
        assert report["skipped"] == 0, report
    clients = world.clients("salon")
    assert clients["zoe@example.com"].last_name == "Côté; Jr"
    assert clients["emile@example.com"].first_name == "Émile"


def test_a_duplicated_header_is_one_clear_line(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    path = write(tmp_path, "d.csv", ["email,first_name,last_name,birthday,Email", "a@x.com,A,B,,c"])
    result = world.cli("clients", "import", "salon", path)
    assert result.exit_code == 2
    assert result.stderr == ("error: the CSV header names email twice: keep one column each\n")
    assert world.clients("salon") == {}


def test_nul_control_characters_and_long_values_are_refused_per_row_on_every_database(
    world: World, tmp_path: Path
) -> None:
    """The import that PostgreSQL used to abort part-way, printing SQL with other clients'
    details: every good row lands, each bad one is named by its line, no SQL."""
    world.add_tenant("salon")
    lines, bad = [HEADER], {}
    for i in range(2_500):
        first, email, cid = f"Prénom{i}", f"c{i}@example.com", f"N{i}"
        if i % 500 == 100:
            first, bad[i + 2] = f"A\x00nn{i}", "first_name holds a control character"
        elif i % 500 == 200:
            cid, bad[i + 2] = "x" * 101, "client_id is longer than 100 characters"
        elif i % 500 == 300:
            email = "e" * 250 + f"{i}@example.com"
            bad[i + 2] = "email is longer than 254 characters"
        elif i % 500 == 400:
            first, bad[i + 2] = (
                f"\x1b]8;;http://evil\x07Ann{i}",
                "first_name holds a control character",
            )
        lines.append(f"{email},{first},D'Nom{i},,{cid}")
    path = write(tmp_path, "bad.csv", lines)

    result = world.cli("clients", "import", "salon", path)

    assert result.exit_code == 0, result.output
    assert (
        result.stdout == "2,480 clients added, 0 updated, 20 rows skipped\n"
    )  # numbers the reader's way
    assert result.stderr.splitlines() == [f"line {n}: {why}" for n, why in sorted(bad.items())]
    assert "INSERT" not in result.output and "Prénom1," not in result.output
    assert len(world.clients("salon")) == 2_480


def test_clients_list_escapes_control_characters_and_neutralises_formulas(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant("salon")
    # Stored as typed by a host platform (the CSV import refuses control characters).
    world.container.client_store().upsert(
        "salon",
        [Client("c1", "ann@example.com", "\x1b[2JAnn", '=HYPERLINK("http://evil")')],
    )
    result = world.cli("clients", "list", "salon")
    assert result.stdout == (
        'ann@example.com\t\\x1b[2JAnn\t\'=HYPERLINK("http://evil")\t\tsubscribed\n'
    )
    listed = json.loads(world.cli("clients", "list", "salon", "--json").stdout)
    assert listed[0]["first_name"] == "\x1b[2JAnn"  # JSON: the value as stored, JSON-escaped


def test_activity_never_prints_a_forged_line(world: World) -> None:
    world.add_tenant("salon")
    record_alone(
        world.uow,
        world.clock,
        "salon",
        ActivityKind.CONTACT_UNSUBSCRIBED,
        email="x@example.com\r\n2026-01-01T00:00:00+00:00  sync.succeeded  all good",
    )
    result = world.cli("activity", "salon")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert "\\r\\n2026-01-01" in result.stdout
