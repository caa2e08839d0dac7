/** A user as the authorizer sees them. */
export interface UserSubject {
  readonly name: string;
  readonly groups: readonly string[];
}

/** Which namespaces a user may read, and which they may write (SubjectAccessReview or a static policy). */
export interface NamespaceAuthorizer {
  readable(user: UserSubject): Promise<ReadonlySet<string>>;
  writable(user: UserSubject): Promise<ReadonlySet<string>>;
}
