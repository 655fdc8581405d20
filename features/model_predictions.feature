@model_prediction
Feature: Predictions from a team's own models
  A team that keeps its own model in mlapi asks it about a case either by listing the
  measurements in the model's order or by naming them. A classifier also says how sure it
  is of each class. Other teams may ask the model only when it is shared with everyone.

  Background:
    Given Alice keeps a private flower classifier "iris" that knows its measurement names
    And Bob is signed in

  Scenario: Measurements given by name, in any order
    When Alice asks "iris" about a flower, naming its measurements in reverse order
    Then Alice is told the flower is of class 0
    And Alice's history keeps the measurements in the model's order

  Scenario: A classifier says how sure it is of each class
    When Alice asks "iris" about a flower
    Then the answer gives a probability for each of the 3 classes, adding up to 1

  Scenario Outline: Measurement names must match the model's
    When Alice asks "iris" about a flower with <mistake>
    Then the request is refused, naming the measurement "<name>"

    Examples:
      | mistake                                | name        |
      | an extra measurement "colour"          | colour      |
      | the measurement "petal_width" left out | petal_width |

  Scenario: The same flower twice is answered from the cache
    When Alice asks "iris" about a flower
    And Alice asks "iris" about a flower
    Then the second answer came from the cache

  Scenario: Several flowers at once, some by name
    When Alice asks "iris" about 3 flowers at once, naming the measurements of the second
    Then Alice gets 3 predictions from "iris", one per flower

  Scenario Outline: Another team may use a model only when it is shared
    Given Alice keeps a <visibility> flower classifier "roses" that knows its measurement names
    When Bob asks "roses" about a flower
    Then Bob's question is <outcome>

    Examples:
      | visibility | outcome                   |
      | private    | refused as not his to use |
      | public     | answered                  |

  Scenario: A deleted model answers no more
    Given Alice has deleted "iris"
    When Alice asks "iris" about a flower
    Then Alice is told the model does not exist
