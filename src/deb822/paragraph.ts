// One deb822 paragraph (deb822(5)): fields in their original order, looked up
// case-insensitively while keeping the spelling they were written with, as
// Dpkg::Control::HashCore does. A value is stored the way dpkg stores it:
// the text after "Field:" on the first line, then "\n" and each continuation
// line without its first white-space character (so multi-line fields such as
// Checksums-Sha256 start with an empty first line).

export interface Deb822Field {
  /** The field name as written (first spelling seen). */
  readonly name: string;
  readonly value: string;
}

export class Deb822Paragraph {
  private readonly order: string[] = [];
  private readonly byKey = new Map<string, { name: string; value: string }>();

  constructor(fields: Iterable<readonly [string, string]> = []) {
    for (const [name, value] of fields) this.set(name, value);
  }

  /** The value of `name` (any case), or undefined. */
  get(name: string): string | undefined {
    return this.byKey.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.byKey.has(name.toLowerCase());
  }

  /** Sets a field; an existing field keeps its place and its original spelling, a new one is appended. */
  set(name: string, value: string): this {
    const key = name.toLowerCase();
    const existing = this.byKey.get(key);
    if (existing) existing.value = value;
    else {
      this.byKey.set(key, { name, value });
      this.order.push(key);
    }
    return this;
  }

  delete(name: string): boolean {
    const key = name.toLowerCase();
    if (!this.byKey.delete(key)) return false;
    this.order.splice(this.order.indexOf(key), 1);
    return true;
  }

  /** The fields in order. */
  get fields(): Deb822Field[] {
    return this.order.map((k) => {
      const f = this.byKey.get(k)!;
      return { name: f.name, value: f.value };
    });
  }

  /** Field names as written, in order. */
  get names(): string[] {
    return this.order.map((k) => this.byKey.get(k)!.name);
  }

  get size(): number {
    return this.order.length;
  }
}
