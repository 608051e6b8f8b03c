"""Reports: charts (matplotlib), the self-contained HTML report, JUnit XML, annotations."""
