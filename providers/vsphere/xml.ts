/**
 * Building vim25 SOAP bodies and reading answers parsed by fast-xml-parser. Element names lose
 * their namespace prefix (soapenv:Body and Body read the same); attributes keep theirs, because
 * a property value carries both xsi:type and a managed object reference's own `type`.
 */
import { XMLParser } from 'fast-xml-parser';

export type XmlNode = string | XmlObject | XmlNode[];
export interface XmlObject {
  [name: string]: XmlNode;
}

/** A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`. */
export interface Moref {
  readonly type: string;
  readonly value: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  transformTagName: (name) => name.replace(/^[^:]+:/, ''),
});

export function parseXml(text: string): XmlObject {
  return parser.parse(text) as XmlObject;
}

function isObject(node: XmlNode | undefined): node is XmlObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** Every occurrence of the child element `name` (an element that occurs once is still a list of one). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!isObject(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** A descendant along a path of element names, taking the first at each step. */
export function descend(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  return path.reduce<XmlNode | undefined>((current, name) => child(current, name), node);
}

export function text(node: XmlNode | undefined): string | undefined {
  if (typeof node === 'string') return node;
  if (isObject(node)) {
    const value = node['#text'];
    if (typeof value === 'string') return value;
    // An element with attributes and no text, e.g. <result xsi:type="..."/>.
    return '';
  }
  return undefined;
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  if (!isObject(node)) return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function morefOf(node: XmlNode | undefined): Moref | undefined {
  const type = attribute(node, 'type');
  const value = text(node);
  return type !== undefined && value !== undefined && value !== '' ? { type, value } : undefined;
}

/** The names of an element's child elements, attributes and text left out. */
export function elementNames(node: XmlNode | undefined): string[] {
  return isObject(node) ? Object.keys(node).filter((key) => !key.startsWith('@_') && key !== '#text') : [];
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** `<name>value</name>`, the value escaped. */
export function textElement(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function morefElement(name: string, ref: Moref): string {
  return `<${name} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${name}>`;
}

export function element(name: string, ...content: string[]): string {
  return `<${name}>${content.join('')}</${name}>`;
}
