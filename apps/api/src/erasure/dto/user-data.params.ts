import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { PRINTABLE } from '../../webhooks/dto/webhook-field.decorators';

/** The path of DELETE /users/{userId}/data: a user or organization id, checked like `userId` elsewhere. */
export class UserDataParams {
  @ApiProperty({
    description:
      'Your own user id (the token `sub`) or one of the organizations in your token (`orgs`): whose data is erased',
    example: '10123',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(PRINTABLE, { message: 'userId must not contain control characters' })
  userId!: string;
}
