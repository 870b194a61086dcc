"""``python -m archiver`` runs the CLI."""

from archiver.cli import main

if __name__ == "__main__":
    main()
