"""Which titles tell one story: precision and recall of the grouping on hand-made pairs, written in
the style of real crypto headlines (the same event worded by two outlets; and different events
about the same coin, the hard case)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from utoday_sentiment.coins import coins_in, load_lexicon
from utoday_sentiment.sources.stories import Headline, same_story

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# (title at outlet A, title at outlet B, hours apart, same story?)
PAIRS = [
    ("Crypto Firm Tether Says It Wants to Take Over Italian Football Club Juventus",
     "Crypto giant Tether offers to buy famous Italian football club Juventus", 0.5, True),
    ("SEC Approves Spot Solana ETFs From Three Issuers",
     "Solana ETFs Get SEC Green Light as Three Issuers Prepare Launch", 2, True),
    ("Bitcoin Tops $120,000 for the First Time", "Bitcoin breaks above $120K, setting a new all-time high", 1, True),
    ("Coinbase Suffers Outage as Traffic Spikes", "Coinbase users report outage amid trading traffic spike", 1, True),
    ("Ripple Wins Dismissal of SEC Appeal", "SEC drops its appeal against Ripple, ending years-long case", 3, True),
    ("Hackers Drain $40M From DeFi Lender Moonwell", "Moonwell exploit: attackers drain $40 million from DeFi lending protocol", 2, True),
    ("MicroStrategy Buys Another 10,000 Bitcoin", "MicroStrategy adds 10,000 BTC to its bitcoin holdings", 4, True),
    ("Ethereum Pectra Upgrade Goes Live on Mainnet", "Ethereum's Pectra upgrade activates on mainnet", 1, True),
    ("Binance to Delist Three Privacy Tokens", "Binance will delist three privacy tokens next week", 5, True),
    ("US Senate Passes Stablecoin Bill", "Senate passes landmark stablecoin bill in bipartisan vote", 2, True),
    ("BlackRock's Bitcoin ETF Sees Record $1.2B Inflow", "BlackRock bitcoin ETF records $1.2 billion inflow, its biggest yet", 6, True),
    ("Dogecoin Jumps 15% After Musk Post", "DOGE surges 15% as Elon Musk posts about dogecoin", 1, True),
    ("Kraken Files for IPO in the United States", "Crypto exchange Kraken files confidentially for US IPO", 8, True),
    ("Cardano Founder Hoskinson Proposes Treasury Overhaul", "Charles Hoskinson proposes overhaul of Cardano treasury", 3, True),
    ("Mt. Gox Moves $2B in Bitcoin to Unknown Wallet", "Mt. Gox transfers $2 billion worth of bitcoin to new wallet", 2, True),
    ("XRP Ledger Suffers Brief Halt in Block Production", "XRP Ledger halts block production for an hour", 1, True),
    ("Polymarket Returns to US After CFTC Approval", "CFTC approval clears Polymarket's return to the US", 5, True),
    ("Circle Shares Soar in NYSE Debut", "Circle stock surges on first day of trading at NYSE", 1, True),
    ("Shiba Inu Burn Rate Spikes 900%", "Shiba Inu burn rate jumps 900% in a day", 4, True),
    ("Bybit Hacked for $1.4 Billion in Ether", "Exchange Bybit loses $1.4B in ether to hackers", 1, True),
    ("Solana Network Hits Record 100,000 TPS in Stress Test", "Solana hits 100,000 transactions per second in stress test", 6, True),
    ("Fed Holds Rates Steady; Bitcoin Dips", "Bitcoin slips after Federal Reserve holds rates steady", 2, True),
    ("Trump Signs Executive Order on Strategic Bitcoin Reserve", "Trump signs order creating strategic bitcoin reserve", 1, True),
    ("Robinhood Launches Tokenized Stocks in Europe", "Robinhood rolls out tokenized stocks for European users", 3, True),
    ("Tron Founder Justin Sun Buys $100M of TRX", "Justin Sun purchases $100 million of TRX", 7, True),
    ("El Salvador Adds 21 BTC to Reserves", "El Salvador buys 21 more bitcoin for its reserves", 10, True),
    ("Chainlink Partners With SWIFT on Tokenized Assets Pilot", "SWIFT and Chainlink pilot tokenized asset transfers", 4, True),
    ("Tether Freezes $225M Linked to Pig-Butchering Scam", "Tether freezes $225 million tied to pig butchering scam", 2, True),
    ("Ethereum Foundation Sells 10,000 ETH", "Ethereum Foundation sells 10K ETH, on-chain data show", 3, True),
    ("Bitcoin Miner Marathon Posts Record Quarterly Revenue", "Marathon Digital reports record revenue for the quarter", 12, True),
    ("Grayscale Files to Convert Its XRP Trust Into an ETF", "Grayscale seeks to turn XRP trust into exchange-traded fund", 5, True),
    ("OKX Pays $505M to Settle US Charges", "OKX agrees to pay $505 million to settle US criminal charges", 2, True),
    ("Arbitrum DAO Votes to Buy Back ARB Tokens", "Arbitrum DAO approves ARB token buyback", 20, True),
    # different stories: often the same coin or the same kind of event
    ("Bitcoin Tops $120,000 for the First Time", "Bitcoin falls below $100,000 as liquidations mount", 10, False),
    ("SEC Approves Spot Solana ETFs From Three Issuers", "SEC delays decision on spot XRP ETFs", 3, False),
    ("Coinbase Suffers Outage as Traffic Spikes", "Coinbase adds support for two new tokens", 2, False),
    ("Ripple Wins Dismissal of SEC Appeal", "Ripple launches RLUSD stablecoin in Japan", 5, False),
    ("Hackers Drain $40M From DeFi Lender Moonwell", "Hackers drain $12M from Solana meme coin launchpad", 3, False),
    ("MicroStrategy Buys Another 10,000 Bitcoin", "Tesla keeps its bitcoin holdings unchanged in Q3", 6, False),
    ("Ethereum Pectra Upgrade Goes Live on Mainnet", "Ethereum gas fees fall to five-year low", 4, False),
    ("Binance to Delist Three Privacy Tokens", "Binance launches new futures contracts for AI tokens", 2, False),
    ("US Senate Passes Stablecoin Bill", "UK regulator publishes stablecoin rules consultation", 8, False),
    ("BlackRock's Bitcoin ETF Sees Record $1.2B Inflow", "Ether ETFs log seventh straight day of outflows", 3, False),
    ("Dogecoin Jumps 15% After Musk Post", "Shiba Inu falls 10% as whales sell", 1, False),
    ("Kraken Files for IPO in the United States", "Kraken acquires futures platform NinjaTrader", 30, False),
    ("Cardano Founder Hoskinson Proposes Treasury Overhaul", "Cardano price slips 7% as network activity cools", 2, False),
    ("Mt. Gox Moves $2B in Bitcoin to Unknown Wallet", "US government moves seized Silk Road bitcoin", 5, False),
    ("XRP Ledger Suffers Brief Halt in Block Production", "XRP price climbs 8% ahead of ETF decision", 2, False),
    ("Polymarket Returns to US After CFTC Approval", "Kalshi raises $185M at $2B valuation", 4, False),
    ("Circle Shares Soar in NYSE Debut", "Gemini files for IPO on Nasdaq", 9, False),
    ("Shiba Inu Burn Rate Spikes 900%", "Shiba Inu team warns of fake airdrop scam", 3, False),
    ("Bybit Hacked for $1.4 Billion in Ether", "Bybit launches crypto card in Europe", 40, False),
    ("Solana Network Hits Record 100,000 TPS in Stress Test", "Solana meme coin volume drops 40% in a week", 5, False),
    ("Fed Holds Rates Steady; Bitcoin Dips", "Bitcoin dips after US jobs report beats forecasts", 30, False),
    ("Trump Signs Executive Order on Strategic Bitcoin Reserve", "Texas lawmakers advance state bitcoin reserve bill", 6, False),
    ("Robinhood Launches Tokenized Stocks in Europe", "Robinhood posts record crypto trading revenue", 12, False),
    ("Tron Founder Justin Sun Buys $100M of TRX", "Justin Sun sues Bloomberg over report", 20, False),
    ("El Salvador Adds 21 BTC to Reserves", "Bhutan sells 1,000 BTC from its reserves", 3, False),
    ("Chainlink Partners With SWIFT on Tokenized Assets Pilot", "Chainlink price jumps 12% on whale buying", 2, False),
    ("Tether Freezes $225M Linked to Pig-Butchering Scam", "Tether mints $1B USDT on Tron", 4, False),
    ("Ethereum Foundation Sells 10,000 ETH", "Ethereum whale buys 10,000 ETH after price dip", 3, False),
    ("Bitcoin Miner Marathon Posts Record Quarterly Revenue", "Bitcoin miner Riot expands Texas facility", 8, False),
    ("Grayscale Files to Convert Its XRP Trust Into an ETF", "Grayscale launches Avalanche trust", 6, False),
    ("OKX Pays $505M to Settle US Charges", "OKX lists new perpetual contracts", 3, False),
    ("Arbitrum DAO Votes to Buy Back ARB Tokens", "Optimism DAO votes on grants budget", 5, False),
    ("Bitcoin Tops $120,000 for the First Time", "Bitcoin Tops $120,000 for the First Time", 60, False),  # beyond 48 hours
]


def headline(i: int, title: str, source: str, hours: float) -> Headline:
    lexicon = load_lexicon()
    return Headline(i, title, source, T0 + timedelta(hours=hours),
                    frozenset(coins_in(title, lexicon)))


def test_grouping_precision_and_recall_on_hand_made_pairs(capsys):
    assert len(PAIRS) >= 60 and sum(p[3] for p in PAIRS) >= 30
    tp = fp = fn = tn = 0
    wrong = []
    for i, (a, b, hours, same) in enumerate(PAIRS):
        said = same_story(headline(2 * i, a, "one", 0), headline(2 * i + 1, b, "two", hours))
        tp += said and same
        fp += said and not same
        fn += same and not said
        tn += not said and not same
        if said != same:
            wrong.append((a, b, same))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    with capsys.disabled():
        print(f"\nstory grouping on {len(PAIRS)} hand-made pairs: precision {precision:.3f}, "
              f"recall {recall:.3f} ({tp} right, {fp} wrongly joined, {fn} missed)")
    assert precision >= 0.95 and recall >= 0.85, wrong


def test_one_outlet_never_pairs_with_itself_and_time_matters():
    a = headline(1, "Coinbase Suffers Outage as Traffic Spikes", "coindesk", 0)
    b = headline(2, "Coinbase users report outage amid trading traffic spike", "coindesk", 1)
    assert not same_story(a, b)  # one outlet's two titles are two stories
    far = headline(3, "Coinbase users report outage amid trading traffic spike", "theblock", 49)
    assert not same_story(a, far)
    near = headline(4, "Coinbase users report outage amid trading traffic spike", "theblock", 1)
    assert same_story(a, near)
