import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldError {
  @ApiProperty({ description: 'The request field that failed validation', example: 'url' })
  field!: string;

  @ApiProperty({ description: 'What is wrong with it', example: 'url must be an absolute http or https URL' })
  message!: string;
}

/** The body of every error response, whatever the status (README → API). */
export class ErrorResponse {
  @ApiProperty({ description: 'The HTTP status code', type: 'integer', example: 401 })
  code!: number;

  @ApiProperty({
    description: 'Response message containing detailed information about the error',
    example: 'Access denied',
  })
  message!: string;

  @ApiPropertyOptional({ type: [FieldError], description: 'Per-field details of a validation error' })
  errors?: FieldError[];
}
