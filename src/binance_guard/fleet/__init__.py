"""`binance-guard fleet`: many repositories, incrementally, on Dask (extra `[fleet]`)."""
