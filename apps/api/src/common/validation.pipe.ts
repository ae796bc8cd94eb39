import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './error-response.dto';
import { RequestValidationException } from './error-body';

/** A validator whose context has `fieldErrors` names the parts of its value that are wrong itself. */
type FieldErrorsOf = (value: unknown) => FieldError[];

function detailedErrors(error: ValidationError): FieldError[] | undefined {
  for (const context of Object.values(error.contexts ?? {})) {
    const fieldErrors = (context as { fieldErrors?: FieldErrorsOf } | undefined)?.fieldErrors;
    if (typeof fieldErrors === 'function') return fieldErrors(error.value);
  }
  return undefined;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const detailed = detailedErrors(error);
    if (detailed && detailed.length > 0) return detailed;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      // class-validator names the leaf property only; name the full path so nested errors are clear.
      message: message.startsWith(`${error.property} `)
        ? `${field}${message.slice(error.property.length)}`
        : message.startsWith(`property ${error.property} `)
          ? `${field}${message.slice(`property ${error.property}`.length)}`
          : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Whitelisting, unknown fields rejected, per-field messages (ghostfolio's setup, our error shape). */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new RequestValidationException(
        fieldErrors.length > 0
          ? fieldErrors
          : [{ field: '', message: 'The request body must be a JSON object' }],
      );
    },
  });
}
