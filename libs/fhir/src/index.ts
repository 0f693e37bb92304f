/** FHIR R4 export of a course (fhir.md): pure mapping, no Nest, no I/O. */
export * from './codes';
export * from './resource-ids';
export * from './course-bundle';
