/** The labelSelector and fieldSelector of a list or watch, as one filter; a malformed one is a 400 naming its query parameter. */
import type { ObjectFilter } from '../common/projection';
import { FieldSelectorError, matchesFields, parseFieldSelector } from '../common/field-selector';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../common/label-selector';
import { ProblemError } from './problem';

export function selectorFilter(query: { readonly labelSelector?: string; readonly fieldSelector?: string }): ObjectFilter | undefined {
  if (!query.labelSelector && !query.fieldSelector) return undefined;
  try {
    const labels = parseLabelSelector(query.labelSelector ?? '');
    const fields = parseFieldSelector(query.fieldSelector ?? '');
    return (object) => matchesLabels(labels, object.metadata.labels) && matchesFields(fields, object.metadata);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new ProblemError(400, 'invalid-label-selector', `${error.message}.`, [{ path: 'query.labelSelector', message: error.message }]);
    if (error instanceof FieldSelectorError) throw new ProblemError(400, 'invalid-field-selector', `${error.message}.`, [{ path: 'query.fieldSelector', message: error.message }]);
    throw error;
  }
}
