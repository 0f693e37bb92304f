/**
 * Request validation. The DTOs (class-validator) check shape and type and
 * refuse unknown properties; for a command body the domain's stateless checks
 * (ranges, lengths, time rules: `contentProblems` of @ipt/course) run beside
 * them, so one 400 lists every problem of the body (decision 13).
 */
import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import {
  ValidationError,
  getMetadataStorage,
  registerDecorator,
  validateSync,
  type ValidationOptions,
} from 'class-validator';
import { MAX_ITEM_COUNT, contentProblems, parseInstant, type CourseCommandType } from '@ipt/course';
import { InvalidRequest, type FieldProblem } from '../application/errors';

/** A time as the domain reads it: ISO 8601 with an offset or Z (one definition, @ipt/course). */
export function isInstant(value: unknown): value is string {
  return parseInstant(value) !== null;
}

/** X-Correlation-Id: names a request in logs and its events' metadata. */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(value);
}

export function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an ISO 8601 time with an offset or Z`,
        ...options,
      },
      validator: { validate: isInstant },
    });
}

const COMMAND_TYPE = Symbol('ipt:commandType');

/** Marks a DTO as the body of a command: the domain's stateless checks of that command apply too. */
export const CommandBody =
  (type: CourseCommandType): ClassDecorator =>
  (target) =>
    Reflect.defineMetadata(COMMAND_TYPE, type, target);

/** Rubric items: an array of integers or nulls; count and ranges are the instrument's (rule 9). */
export function IsItemScores(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isItemScores',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an array of at most ${MAX_ITEM_COUNT} integers or nulls`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.length <= MAX_ITEM_COUNT &&
          value.every((item) => item === null || Number.isInteger(item)),
      },
    });
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {})
      // Unknown properties are reported by unknownProperties, without their names.
      .filter(([constraint]) => constraint !== 'whitelistValidation')
      .map(([, message]) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** A DTO class, as class-validator's metadata knows it. */
type DtoClass = abstract new (...args: never[]) => object;

/** The properties a DTO class declares, with the DTO class of each nested object. */
function declaredProperties(cls: DtoClass): Map<string, DtoClass | undefined> {
  const declared = new Map<string, DtoClass | undefined>();
  for (const { propertyName } of getMetadataStorage().getTargetValidationMetadatas(
    cls,
    '',
    true,
    false,
  )) {
    const type: unknown = Reflect.getMetadata('design:type', cls.prototype, propertyName);
    const nested =
      typeof type === 'function' &&
      typeof type.prototype === 'object' &&
      getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0
        ? (type as DtoClass)
        : undefined;
    declared.set(propertyName, nested);
  }
  return declared;
}

/**
 * A copy of the body with only the properties its DTO declares; each object
 * holding others adds a problem to `problems`. Checked on own keys against a
 * Map, so names of Object.prototype members (toString, constructor, valueOf,
 * hasOwnProperty) are unknown like any other (class-validator's whitelist
 * looks names up in a plain object and finds those), and nothing unknown
 * reaches class-transformer. Names are not repeated in the answer: a careless
 * client may have put PHI in one; the field is the object that holds them.
 */
export function knownProperties(
  cls: DtoClass,
  value: object,
  problems: FieldProblem[],
  path = '',
): Record<string, unknown> {
  const declared = declaredProperties(cls);
  const known: Record<string, unknown> = {};
  let unknown = 0;
  for (const [key, inner] of Object.entries(value)) {
    if (!declared.has(key)) {
      unknown++;
      continue;
    }
    const nested = declared.get(key);
    known[key] =
      nested && inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? knownProperties(nested, inner as object, problems, path ? `${path}.${key}` : key)
        : inner;
  }
  if (unknown > 0)
    problems.push({
      field: path,
      message: unknown === 1 ? 'has an unknown property' : `has ${unknown} unknown properties`,
    });
  return known;
}

export function validateBody<T extends object>(cls: new () => T, value: unknown): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequest([{ field: '', message: 'the body must be a JSON object' }]);
  }
  const unknown: FieldProblem[] = [];
  const known = knownProperties(cls, value, unknown);
  const instance = plainToInstance(cls, known, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  const shape = flatten(errors);
  const commandType: CourseCommandType | undefined = Reflect.getMetadata(COMMAND_TYPE, cls);
  const rules = commandType ? contentProblems(commandType, known, new Date()) : [];
  // A field whose shape is wrong is reported once, by the shape check.
  const problems = [
    ...unknown,
    ...shape,
    ...rules.filter((rule) => !shape.some((seen) => covers(seen.field, rule.field))),
  ];
  if (problems.length > 0) throw new InvalidRequest(problems);
  return instance;
}

/** `field` is `outer` or lies inside it (`screening.psychosis`, `items[3]`). */
const covers = (outer: string, field: string): boolean =>
  field === outer || field.startsWith(`${outer}.`) || field.startsWith(`${outer}[`);

/** Validates @Body() against its DTO class. */
@Injectable()
export class BodyValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' || !metadata.metatype || metadata.metatype === Object)
      return value;
    return validateBody(metadata.metatype as new () => object, value);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Path parameters that must be UUIDs (courseId, flagId, assessmentId). */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value))
      throw new InvalidRequest([{ field: metadata.data ?? 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}
