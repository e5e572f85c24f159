package io.couponflow.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;

/**
 * The module graph the README's code map promises, checked over the main code of every module (not
 * their tests). Each module is its packages: model ({@code model}, {@code config}) at the bottom;
 * the MySQL contract ({@code sql}) and the Redis contract ({@code lua}) side by side above it; the
 * use cases that need both ({@code core}) and the sink above those; the deployables ({@code
 * gateway}, {@code preheat}, {@code ops}, {@code bench}) on top; {@code testkit} for tests only.
 *
 * <p>The bench is the one deployable allowed past the Redis contract: it measures Redis itself.
 */
@AnalyzeClasses(packages = "io.couponflow", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  private static final String MODEL = "io.couponflow.model..";
  private static final String CONFIG = "io.couponflow.config..";
  private static final String SQL = "io.couponflow.sql..";
  private static final String LUA = "io.couponflow.lua..";
  private static final String CORE = "io.couponflow.core..";
  private static final String SINK = "io.couponflow.sink..";
  private static final String GATEWAY = "io.couponflow.gateway..";
  private static final String PREHEAT = "io.couponflow.preheat..";
  private static final String OPS = "io.couponflow.ops..";
  private static final String BENCH = "io.couponflow.bench..";
  private static final String TESTKIT = "io.couponflow.testkit..";

  @ArchTest
  static final ArchRule theModuleGraph =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .layer("model")
          .definedBy(MODEL, CONFIG)
          .layer("sql")
          .definedBy(SQL)
          .layer("lua")
          .definedBy(LUA)
          .layer("core")
          .definedBy(CORE)
          .layer("sink")
          .definedBy(SINK)
          .layer("deployables")
          .definedBy(GATEWAY, PREHEAT, OPS, BENCH)
          .layer("testkit")
          .definedBy(TESTKIT)
          .whereLayer("deployables")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("core")
          .mayOnlyBeAccessedByLayers("deployables")
          .whereLayer("sink")
          .mayOnlyBeAccessedByLayers("deployables")
          .whereLayer("sql")
          .mayOnlyBeAccessedByLayers("core", "sink", "deployables")
          .whereLayer("lua")
          .mayOnlyBeAccessedByLayers("core", "sink", "deployables")
          .whereLayer("testkit")
          .mayNotBeAccessedByAnyLayer();

  @ArchTest
  static final ArchRule modelAndConfig_useNothingButTheJdk =
      classes()
          .that()
          .resideInAnyPackage(MODEL, CONFIG)
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("java..", MODEL, CONFIG);

  @ArchTest
  static final ArchRule lua_usesNoMySqlClientAndNoSql =
      noClasses()
          .that()
          .resideInAPackage(LUA)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.apache.ibatis..",
              "java.sql..",
              "javax.sql..",
              "com.zaxxer.hikari..",
              "org.flywaydb..",
              "com.mysql..",
              "org.mariadb..",
              SQL);

  @ArchTest
  static final ArchRule sql_usesNoRedisClientAndNoLua =
      noClasses()
          .that()
          .resideInAPackage(SQL)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.lettuce..", LUA);

  @ArchTest
  // Two exceptions, by design. The gateway hands Lettuce its own event loops
  // (http.SharedRedisLoops builds client resources, and sends no command). The bench measures Redis
  // itself: S0 calls cf_redeem with redis-benchmark, S0-ref runs a script that is not couponflow's,
  // and the fence scenario swaps the library, so it names keys and holds a plain connection.
  static final ArchRule onlyLua_usesLettuce =
      noClasses()
          .that()
          .resideOutsideOfPackages(LUA, BENCH)
          .and()
          .haveNameNotMatching("io\\.couponflow\\.gateway\\.http\\.SharedRedisLoops.*")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.lettuce..");

  @ArchTest
  static final ArchRule onlyLua_buildsCouponKeys =
      noClasses()
          .that()
          .resideOutsideOfPackages(LUA, BENCH)
          .should()
          .dependOnClassesThat()
          .belongToAnyOf(CouponKeys.class)
          .orShould()
          .accessTargetWhere(functionsMethod("keys"))
          .because("the Redis contract names every coupon key");

  @ArchTest
  static final ArchRule onlyCoreLive_putsACouponLiveOrRepairsIt =
      noClasses()
          .that()
          .resideOutsideOfPackages(LUA, "io.couponflow.core.live..", BENCH)
          .should()
          .accessTargetWhere(functionsMethod("load|repairBegin|repairWrite|repairEnd"))
          .because("CouponRepair is the one way a coupon is made live, created or repaired");

  @ArchTest
  static final ArchRule core_isUsedOnlyByTheDeployables =
      noClasses()
          .that()
          .resideOutsideOfPackages(CORE, GATEWAY, PREHEAT, OPS, BENCH)
          .should()
          .dependOnClassesThat()
          .resideInAPackage(CORE);

  @ArchTest
  static final ArchRule gateway_isUsedByNoOtherModule =
      noClasses()
          .that()
          .resideOutsideOfPackage(GATEWAY)
          .should()
          .dependOnClassesThat()
          .resideInAPackage(GATEWAY);

  @ArchTest
  static final ArchRule ops_isUsedByNoOtherModule =
      noClasses()
          .that()
          .resideOutsideOfPackage(OPS)
          .should()
          .dependOnClassesThat()
          .resideInAPackage(OPS);

  @ArchTest
  static final ArchRule preheat_isUsedByNoOtherModule =
      noClasses()
          .that()
          .resideOutsideOfPackages(PREHEAT, BENCH)
          .should()
          .dependOnClassesThat()
          .resideInAPackage(PREHEAT);

  @ArchTest
  static final ArchRule bench_startsThePreheatJobOnlyThroughItsMain =
      noClasses()
          .that()
          .resideInAPackage(BENCH)
          .should()
          .dependOnClassesThat(resideInAPackage(PREHEAT).and(not(simpleName("PreheatMain"))))
          .because("the bench measures the preheat job as users run it");

  @ArchTest
  static final ArchRule contractsAndUseCases_knowNoNettyAndNoHttp =
      noClasses()
          .that()
          .resideInAnyPackage(MODEL, CONFIG, SQL, LUA, CORE, SINK, TESTKIT)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.netty..");

  @ArchTest
  static final ArchRule inTheGateway_onlyHttpUsesNettyChannelsAndCodecs =
      noClasses()
          .that()
          .resideInAPackage(GATEWAY)
          .and()
          .resideOutsideOfPackage("io.couponflow.gateway.http..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.netty.handler..", "io.netty.channel..", "io.netty.bootstrap..");

  @ArchTest
  static final ArchRule gatewayRequestLogic_knowsNoNettyAndNoHttp =
      noClasses()
          .that()
          .resideInAnyPackage(
              "io.couponflow.gateway.redeem..",
              "io.couponflow.gateway.coupon..",
              "io.couponflow.gateway.resilience..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.netty..", "io.couponflow.gateway.http..");

  @ArchTest
  static final ArchRule gatewayRedeemAndHttp_knowNoMyBatis =
      noClasses()
          .that()
          .resideInAnyPackage("io.couponflow.gateway.redeem..", "io.couponflow.gateway.http..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.apache.ibatis..", SQL);

  /** A call of, or a reference to, a {@link CouponFunctions} method whose name matches. */
  private static DescribedPredicate<JavaAccess<?>> functionsMethod(String names) {
    return JavaAccess.Predicates.target(owner(equivalentTo(CouponFunctions.class)))
        .and(JavaAccess.Predicates.target(nameMatching(names)));
  }
}
