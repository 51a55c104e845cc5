/**
 * The vim25 SOAP endpoint (/sdk): envelopes, the service content, and the session. Login goes
 * through the SessionManager; vCenter answers with the session cookie vmware_soap_session,
 * which every later call sends. A session vCenter no longer knows (NotAuthenticated) is dropped,
 * and the call fails retryable, so the next attempt logs in afresh. Every fault comes out as a
 * classified VsphereError carrying the fault's type.
 */
import { faultOf, retryableFailure, soapFailure, type Redact } from './errors';
import { headerOf, type HttpAnswer, type HttpTransport } from './http';
import type { VsphereCredentialsProvider } from './options';
import { sharedPromises } from './shared-promises';
import { attribute, child, descend, elementNames, morefElement, morefOf, parseXml, text, textElement, type Moref, type XmlNode } from './xml';

export interface ServiceContent {
  readonly rootFolder: Moref;
  readonly propertyCollector: Moref;
  readonly searchIndex: Moref;
  readonly sessionManager: Moref;
  /** Custom attributes (vCenter has one; an ESXi host alone does not). */
  readonly customFieldsManager: Moref | undefined;
  /** Container views, to read every object of a type under a folder. */
  readonly viewManager: Moref | undefined;
}

export interface SoapClient {
  /** Calls `method` on `target`; `parameters` is the XML of the parameters after _this, in schema order. */
  invoke(operation: string, method: string, target: Moref, parameters?: string): Promise<XmlNode | undefined>;
  serviceContent(operation: string): Promise<ServiceContent>;
}

const SESSION_COOKIE = 'vmware_soap_session';
/** vim25 is backward compatible; every method used here exists since vSphere 6.5. */
const SOAP_ACTION = 'urn:vim25/6.5';
const SERVICE_INSTANCE: Moref = { type: 'ServiceInstance', value: 'ServiceInstance' };

function envelope(method: string, target: Moref, parameters: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${morefElement('_this', target)}${parameters}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

function parsedBody(answer: HttpAnswer): XmlNode | undefined {
  if (!/xml/i.test(headerOf(answer.headers, 'content-type') ?? '') && !answer.body.trimStart().startsWith('<')) return undefined;
  try {
    return descend(parseXml(answer.body), 'Envelope', 'Body');
  } catch {
    return undefined;
  }
}

/** The fault's type: the detail element's xsi:type, else its name without the Fault suffix. */
function faultType(fault: XmlNode | undefined): string | undefined {
  const detail = child(fault, 'detail');
  const [name] = elementNames(detail);
  if (name === undefined) return undefined;
  return attribute(child(detail, name), 'xsi:type') ?? name.replace(/Fault$/, '');
}

/** What a non-SOAP answer (a proxy's 503 page) says, without its markup. */
function plainText(body: string): string {
  return body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

export function createSoapClient(transport: HttpTransport, credentials: VsphereCredentialsProvider, redact: Redact, rememberSecret: (secret: string) => void): SoapClient {
  const contents = sharedPromises<ServiceContent>();
  const sessions = sharedPromises<string>();

  const exchange = async (operation: string, method: string, target: Moref, parameters: string, cookie: string | undefined): Promise<{ answer: HttpAnswer; body: XmlNode | undefined }> => {
    const answer = await transport.send({
      operation,
      method: 'POST',
      path: '/sdk',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION, ...(cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}) },
      body: envelope(method, target, parameters),
    });
    const body = parsedBody(answer);
    const fault = child(body, 'Fault');
    if (answer.status === 200 && body !== undefined && fault === undefined) return { answer, body };
    const type = faultType(fault);
    const message = fault !== undefined ? (text(child(fault, 'faultstring')) ?? '') : plainText(answer.body) || `HTTP ${answer.status}`;
    throw soapFailure(operation, { status: answer.status === 200 ? 500 : answer.status, ...(type !== undefined ? { fault: type } : {}), message, retryAfter: headerOf(answer.headers, 'retry-after') }, redact);
  };

  const serviceContent = (operation: string): Promise<ServiceContent> =>
    contents.get('content', async () => {
      const { body } = await exchange(operation, 'RetrieveServiceContent', SERVICE_INSTANCE, '', undefined);
      const value = descend(body, 'RetrieveServiceContentResponse', 'returnval');
      const ref = (name: string): Moref => {
        const found = morefOf(child(value, name));
        if (!found) throw retryableFailure(operation, `the service content has no ${name}`);
        return found;
      };
      return {
        rootFolder: ref('rootFolder'),
        propertyCollector: ref('propertyCollector'),
        searchIndex: ref('searchIndex'),
        sessionManager: ref('sessionManager'),
        customFieldsManager: morefOf(child(value, 'customFieldsManager')),
        viewManager: morefOf(child(value, 'viewManager')),
      };
    });

  const login = async (operation: string): Promise<string> => {
    const { sessionManager } = await serviceContent(operation);
    const { username, password } = credentials();
    rememberSecret(password);
    const { answer } = await exchange(operation, 'Login', sessionManager, textElement('userName', username) + textElement('password', password), undefined);
    const setCookie = answer.headers['set-cookie'] ?? [];
    const cookie = setCookie.map((line) => new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(line)?.[1]).find((value) => value !== undefined);
    if (cookie === undefined) throw retryableFailure(operation, 'vCenter accepted the login but sent no session cookie');
    rememberSecret(cookie);
    return cookie;
  };

  return {
    serviceContent,
    async invoke(operation, method, target, parameters = '') {
      const pending = sessions.get('session', () => login(operation));
      const cookie = await pending;
      try {
        const { body } = await exchange(operation, method, target, parameters, cookie);
        return child(body, `${method}Response`);
      } catch (error) {
        if (faultOf(error) === 'NotAuthenticated') sessions.drop('session', pending);
        throw error;
      }
    },
  };
}
