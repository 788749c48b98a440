"""demo tests train ml's models on demo activity: each MLflow run goes to a store of the test's own."""

from ml.tests.conftest import mlflow_store, mlflow_template  # noqa: F401 - fixtures, autouse here too
