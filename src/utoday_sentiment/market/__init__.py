"""The market beside the mood: daily closes from a price service (one `PriceSource` protocol:
CoinGecko, Coinbase Exchange, Binance) and the Crypto Fear & Greed Index (alternative.me)."""
