import type { StaticBinding } from './tenancy_settings';
import type { NamespaceAuthorizer, UserSubject } from './namespace_authorizer';

/**
 * Namespaces granted by a policy file, for installations without Kubernetes: each binding
 * names a namespace, the users and groups it is granted to, and whether they may only read
 * it (`view`) or also write it (`edit`).
 */
export class StaticNamespaceAuthorizer implements NamespaceAuthorizer {
  constructor(private readonly bindings: readonly StaticBinding[]) {}

  readable(user: UserSubject): Promise<ReadonlySet<string>> {
    return Promise.resolve(this.granted(user, () => true));
  }

  writable(user: UserSubject): Promise<ReadonlySet<string>> {
    return Promise.resolve(this.granted(user, (b) => b.access === 'edit'));
  }

  private granted(user: UserSubject, enough: (b: StaticBinding) => boolean): Set<string> {
    const namespaces = new Set<string>();
    for (const b of this.bindings) {
      if (!enough(b)) continue;
      if (b.users.includes(user.name) || b.groups.some((g) => user.groups.includes(g))) namespaces.add(b.namespace);
    }
    return namespaces;
  }
}
