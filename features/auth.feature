@auth
Feature: Accounts and sign-in
  Every team member has an account of their own. They sign in with their username or
  their email address, and a session they end, or that expires, stops working at once.

  Background:
    Given Alice has an account with the password "alice-secret-42"

  Scenario: A new team member registers
    When Bob registers with the email "bob@example.com" and the password "bob-secret-42"
    Then Bob's account is created
    And Bob's profile shows the email "bob@example.com" and the role "user"

  Scenario: A username that is already taken cannot be registered again
    When someone registers as "ALICE" with a fresh email address
    Then the registration is refused because the account is already registered

  Scenario: An email address that is already taken cannot be registered again
    When someone registers as "alice2" with Alice's email address in capitals
    Then the registration is refused because the account is already registered

  Scenario Outline: Registration details are checked
    When someone registers with <detail> set to <value>
    Then the registration is refused, pointing at the <detail>

    Examples:
      | detail   | value                          |
      | username | "al"                           |
      | username | 33 characters                  |
      | username | "alice smith"                  |
      | username | "álice"                        |
      | email    | "not-an-email"                 |
      | password | "short"                        |
      | password | 129 characters                 |
      | username | nothing                        |
      | email    | nothing                        |
      | password | nothing                        |

  Scenario Outline: A weak password is refused at sign-up, saying why
    When Bob registers with the email "bob.marsh@example.com" and the password "<password>"
    Then the registration is refused because the password <reason>

    Examples:
      | password       | reason                                     |
      | nine-char      | is too short                               |
      | password1234   | is a common one                            |
      | qwertyuiop12   | is too easy to guess                       |
      | aaaaaaaaaaaa   | repeats itself                             |
      | bob.marsh-1987 | is built on the username or email address  |

  Scenario: A few unrelated words make a good password
    When Bob registers with the email "bob.marsh@example.com" and the password "lantern orchard basalt ferry"
    Then Bob's account is created

  Scenario: A team member signs in with their username
    When Alice signs in with her username and the password "alice-secret-42"
    Then Alice receives an access token and a refresh token

  Scenario: A team member signs in with their email address
    When Alice signs in with her email address and the password "alice-secret-42"
    Then Alice receives an access token and a refresh token

  Scenario: A wrong password and an unknown user are refused the same way
    When Alice signs in with her username and the password "not-her-password"
    And someone signs in as "nobody-here" with the password "alice-secret-42"
    Then both sign-ins are refused with the same answer

  Scenario: A deactivated account cannot sign in
    Given Alice's account has been deactivated
    When Alice signs in with her username and the password "alice-secret-42"
    Then the sign-in is refused because the account is inactive

  Scenario: The profile never shows the password
    Given Alice is signed in
    When Alice looks at her profile
    Then she sees her username and email address
    And the profile does not contain her password in any form

  Scenario: An expired session is refused
    Given Alice is signed in with a session that has expired
    When Alice looks at her profile
    Then she is refused because her session has expired

  Scenario: A tampered token is refused
    Given Alice is signed in
    And someone has tampered with Alice's token
    When Alice looks at her profile
    Then she is refused because her token is invalid

  Scenario: Signing out ends the session everywhere
    Given Alice is signed in
    When Alice signs out
    And Alice looks at her profile
    Then she is refused because her session was revoked
    And Alice can no longer renew her session

  Scenario: Signing out of one session leaves the others working
    Given Alice is signed in on her laptop and on her phone
    When Alice signs out on her laptop
    Then Alice can still see her profile on her phone

  Scenario: A session is renewed with its refresh token
    Given Alice is signed in
    When Alice renews her session
    Then Alice receives a new access token that works

  Scenario: A deactivated account is refused on its very next request
    Given Alice is signed in
    And Alice's account has been deactivated
    When Alice looks at her profile
    Then she is refused because her account is inactive
