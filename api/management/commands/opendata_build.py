"""Build the open data files now, in this process (``api.opendata.files``)."""

from django.core.management.base import BaseCommand, CommandError

from api.opendata import files as opendata_files
from api.opendata.datasets import DATASETS


class Command(BaseCommand):
    help = "Build the open data files (every town and the region, CSV and JSON) now, without the worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset",
            action="append",
            choices=sorted(DATASETS),
            help="only this dataset (may be given more than once); default: all",
        )
        parser.add_argument(
            "--pending",
            action="store_true",
            help="only datasets with changes not yet built (what the five-minute sweep does)",
        )

    def handle(self, *args, dataset=None, pending=False, **options):
        for key in dataset or DATASETS:
            builds = opendata_files.build_dataset_until_current(key, force=not pending)
            if builds:
                self.stdout.write(f"{key}: built")
            elif pending and not opendata_files.pending(key):
                self.stdout.write(f"{key}: nothing to build")
            else:
                raise CommandError(
                    f"{key}: another build of this dataset is running; try again when it is done."
                )
