from .cli import main

if __name__ == "__main__":  # only as `python -m portraitize`, not on an import of this module
    main()
