#!/usr/bin/env python3
# Writes a C++ source holding the report schemas as string literals (the definition of
# EmbeddedSchemas() in reports/schemas/embedded_schemas.h), run by Meson at build time.
#
#   embed_schemas.py OUTPUT.cc DIR/<kind>.schema.json...
#
# Each file must parse as JSON and pin its own kind and an integer schema_version
# (properties.kind.const, properties.schema_version.const): a schema renamed without its
# contents, or the reverse, fails the build instead of validating the wrong reports.
# Standard library only: the build depends on nothing outside the repository.
import json
import os
import sys

SUFFIX = ".schema.json"


def fail(message):
    sys.exit(f"embed_schemas.py: {message}")


def delimiter_for(text):
    # A raw string literal R"d(...)d" ends at the first )d"; pick a d that the text does
    # not contain (at most 16 characters, as C++ allows).
    for n in range(1000):
        d = "schema" if n == 0 else f"schema{n}"
        if f'){d}"' not in text:
            return d
    fail("no raw string delimiter avoids the text")


def main(argv):
    if len(argv) < 3:
        fail("usage: embed_schemas.py OUTPUT.cc SCHEMA.json...")
    output, inputs = argv[1], argv[2:]
    entries = []
    for path in inputs:
        name = os.path.basename(path)
        if not name.endswith(SUFFIX):
            fail(f"{path}: the name must end with {SUFFIX}")
        kind = name[: -len(SUFFIX)]
        if not kind or not all(c.islower() or c.isdigit() or c == "-" for c in kind):
            fail(f"{path}: a kind is lowercase letters, digits and '-'")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as e:
            fail(f"{path}: not JSON: {e}")
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if props.get("kind", {}).get("const") != kind:
            fail(f"{path}: properties.kind.const must be \"{kind}\" (the file's name)")
        version = props.get("schema_version", {}).get("const")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            fail(f"{path}: properties.schema_version.const must be a positive integer")
        entries.append((kind, text))
    entries.sort()
    kinds = [k for k, _ in entries]
    if len(set(kinds)) != len(kinds):
        fail(f"a kind is given twice: {kinds}")

    lines = [
        "// Generated at build time by reports/schemas/embed_schemas.py from",
        "// reports/schemas/*.schema.json: edit those, not this file.",
        '#include "reports/schemas/embedded_schemas.h"',
        "",
        "namespace gemmeter::reports {",
        "namespace {",
        "",
        "constexpr EmbeddedSchema kSchemas[] = {",
    ]
    for kind, text in entries:
        d = delimiter_for(text)
        lines.append(f'    {{"{kind}", R"{d}({text}){d}"}},')
    lines += [
        "};",
        "",
        "}  // namespace",
        "",
        "std::span<const EmbeddedSchema> EmbeddedSchemas() { return kSchemas; }",
        "",
        "}  // namespace gemmeter::reports",
        "",
    ]
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv)
