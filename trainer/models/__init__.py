"""One file per network; each is a plain nn.Module whose constructor kwargs are its whole config."""
