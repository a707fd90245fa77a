import { useEffect, useState } from "react";

export function useStockPrices(symbols) {
    const [prices, setPrices] = useState({});

    useEffect(() => {
        if (symbols.length === 0) return undefined;
        const url = "/api/prices/stream?symbols=" + symbols.map(encodeURIComponent).join(",");
        const eventSource = new EventSource(url);
        eventSource.onmessage = (event) => {
            const { symbol, price } = JSON.parse(event.data);
            setPrices((current) => ({ ...current, [symbol]: price }));
        };
        eventSource.onerror = () => {
            console.warn("price stream interrupted, the browser will retry");
        };
        return () => eventSource.close();
    }, [symbols]);

    return prices;
}
