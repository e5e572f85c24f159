package io.couponflow.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering the module tree promises: the model and the Redis and MySQL contracts know nothing
 * of HTTP or Netty; within the gateway only the {@code http} package speaks HTTP, and the request
 * logic knows nothing of MyBatis.
 */
class ArchitectureTest {
  private static JavaClasses production;

  @BeforeAll
  static void importClasses() {
    production =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("io.couponflow");
  }

  @Test
  void modelAndConfig_dependOnNoFrameworks() {
    noClasses()
        .that()
        .resideInAnyPackage("io.couponflow.model..", "io.couponflow.config..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.netty..", "io.lettuce..", "org.apache.ibatis..", "com.fasterxml.jackson..")
        .check(production);
  }

  @Test
  void redisAndMySqlContracts_dependOnNoNettyOrHttp() {
    noClasses()
        .that()
        .resideInAnyPackage("io.couponflow.lua..", "io.couponflow.sql..", "io.couponflow.sink..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.netty..", "io.couponflow.gateway..")
        .check(production);
  }

  @Test
  void onlyTheHttpPackage_usesNettyChannelsAndCodecs() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.couponflow.gateway.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.netty.handler..", "io.netty.channel..", "io.netty.bootstrap..")
        .check(production);
  }

  @Test
  void requestLogic_dependsOnNoNettyAndNoMyBatis() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.couponflow.gateway.redeem..",
            "io.couponflow.gateway.coupon..",
            "io.couponflow.gateway.resilience..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.netty..", "io.couponflow.gateway.http..")
        .check(production);
    noClasses()
        .that()
        .resideInAnyPackage("io.couponflow.gateway.redeem..", "io.couponflow.gateway.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.ibatis..", "io.couponflow.sql..")
        .check(production);
  }
}
