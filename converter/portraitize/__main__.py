from .entry import run

if __name__ == "__main__":  # only as `python -m portraitize`, not on an import of this module
    run()
