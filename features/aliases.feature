@aliases
Feature: Full names and aliases
  A team's model has a full name, such as risk/churn, and its maintainers point aliases
  such as "production" at one version. The services that use the model ask for it by
  alias: a new version goes live when the team promotes it, not before, and from the very
  next request after. "latest" always means the newest version.

  Background:
    Given Rita maintains the risk team, with Mel and the billing service as members
    And the risk team keeps versions 1 and 2 of churn, which score differently

  Scenario: The billing service gets the version the team promoted
    Given the risk team has promoted version 1 of churn to production
    When the billing service asks production churn for a score
    Then version 1 of churn answers

  Scenario: A promotion takes effect from the very next request
    Given the risk team has promoted version 1 of churn to production
    And the billing service has asked production churn for a score
    When the risk team promotes version 2 of churn to production
    And the billing service asks production churn for a score
    Then version 2 of churn answers

  Scenario: The latest version is always the newest
    Given the risk team has added version 3 of churn
    When the billing service asks latest churn for a score
    Then version 3 of churn answers

  Scenario: Deleting a version removes the alias that named it
    Given the risk team has promoted version 1 of churn to production
    When Rita deletes version 1 of churn
    Then churn no longer has a production version
    And the billing service cannot get a score from production churn

  Scenario Outline: Only the team's maintainers promote versions
    Given Olga is signed in
    When <person> promotes version 2 of churn to production
    Then the promotion is <outcome>

    Examples:
      | person | outcome                            |
      | Rita   | made                               |
      | Mel    | refused, as Mel only uses the model |
      | Olga   | refused, as if churn did not exist |

  Scenario: Nobody can move "latest"
    When Rita promotes version 1 of churn to latest
    Then the request is refused, pointing at the alias
