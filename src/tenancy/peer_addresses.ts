import net from 'node:net';

/**
 * A set of IP addresses and CIDR ranges (IPv4 and IPv6), e.g. the pod range of the Istio
 * gateway or 127.0.0.1/32 for a sidecar. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, as a
 * dual-stack socket reports IPv4 clients) match IPv4 entries.
 */
export class PeerAddresses {
  private readonly list = new net.BlockList();
  readonly empty: boolean;

  /** Throws an Error naming the first entry that is neither an address nor a CIDR range. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix, extra] = entry.trim().split('/');
      const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
      const max = family === 'ipv4' ? 32 : 128;
      if (!family || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) || Number(prefix) > max) {
        throw new Error(`${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
      }
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.empty = entries.length === 0;
  }

  has(address: string | undefined): boolean {
    if (!address || this.empty) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.list.check(mapped[1], 'ipv4') || this.list.check(address, 'ipv6');
    if (net.isIPv4(address)) return this.list.check(address, 'ipv4');
    if (net.isIPv6(address)) return this.list.check(address, 'ipv6');
    return false;
  }
}
