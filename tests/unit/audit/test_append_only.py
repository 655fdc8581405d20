"""The log is append-only: its endpoints only read, and no other endpoint touches it."""

READ_ONLY = {"GET", "HEAD", "OPTIONS"}
AUDIT_PATHS = ("/api/v1/admin/audit", "/api/v1/audit")


def test_the_audit_endpoints_only_read(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(AUDIT_PATHS)]

    assert sorted(rule.rule for rule in rules) == sorted(AUDIT_PATHS)
    assert all(rule.methods <= READ_ONLY for rule in rules)


def test_no_other_endpoint_mentions_the_audit_log(app):
    others = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "audit" in rule.rule and not rule.rule.startswith(AUDIT_PATHS)
    ]

    assert others == []


def test_a_write_to_the_log_is_refused_with_the_allowed_methods(client, admin_headers):
    for path in AUDIT_PATHS:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.open(path, method=method, headers=admin_headers)

            assert response.status_code == 405, (method, path)
            assert set(response.headers["Allow"].split(", ")) == READ_ONLY


def test_the_documented_api_changes_no_record(app):
    document = app.extensions["mlapi.api"].spec.to_dict()

    for path, operations in document["paths"].items():
        if "audit" in path:
            assert set(operations) - {"parameters"} == {"get"}, path
